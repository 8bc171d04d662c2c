"""Billcraft as ``billcraft serve`` runs it (migrations aside), with the benchmark's
hand-written reference endpoint added to the same app, so both are measured on one server:
``python -m bench.server --port P`` with the settings in the environment."""

from __future__ import annotations

import argparse

import uvicorn
from litestar import Litestar

from app.config import Settings
from app.logs import configure_logging
from app.server import create_app, served
from bench.reference import reference_invoice_list


def bench_app() -> Litestar:
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    app = create_app(settings)
    app.register(reference_invoice_list)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # As `billcraft serve` runs it: one process, request ids and metrics, the same keep-alive.
    uvicorn.run(served(bench_app()), host="127.0.0.1", port=args.port, log_config=None, timeout_keep_alive=75)


if __name__ == "__main__":
    main()
