"""Send the app's own log records, with their properties, to Application Insights.

The Functions host already forwards log lines as plain messages; the Azure Monitor OpenTelemetry distro
exports the records of the `analysis` loggers with their extra attributes as customDimensions. It is only
switched on where APPLICATIONINSIGHTS_CONNECTION_STRING is set (Azure), with Microsoft Entra ingestion
through the app's managed identity when APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for it.
"""

from __future__ import annotations

import logging
import os

LOGGER_NAMESPACE = "analysis"
log = logging.getLogger("analysis.telemetry")


def configure_azure_monitor_logs(environ: dict | None = None) -> bool:
    """True when the distro was configured; False (and no import cost) where there is no connection string."""
    environ = os.environ if environ is None else environ
    connection_string = environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING")
    if not connection_string:
        return False
    try:
        from azure.monitor.opentelemetry import configure_azure_monitor
    except ImportError:
        log.warning("azure-monitor-opentelemetry is not installed; logs go to the host only, without properties")
        return False
    options = {"connection_string": connection_string, "logger_name": LOGGER_NAMESPACE}
    if "Authorization=AAD" in environ.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", ""):
        from azure.identity import ManagedIdentityCredential

        options["credential"] = ManagedIdentityCredential(client_id=environ.get("AZURE_CLIENT_ID"))
    configure_azure_monitor(**options)
    return True
