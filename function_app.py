"""The function app: creates the Durable Functions app and registers each blueprint. Nothing else lives here."""

import logging

import azure.durable_functions as df
import azure.functions as func

from activities.check_analysis_status import bp as check_analysis_status
from activities.submit_analysis import bp as submit_analysis
from config.settings import SettingsError, get_settings
from http_api.analysis_results import bp as analysis_results
from http_api.analyze_starter import bp as analyze_starter
from http_api.health import bp as health
from http_api.openapi_document import bp as openapi_document
from observability.azure_monitor import configure_azure_monitor_logs
from observability.log_context import install_record_factory
from orchestrators.analysis_orchestrator import bp as analysis_orchestrator
from timers.purge_finished_operations import bp as purge_finished_operations

install_record_factory()  # every app log record carries the operation's ids as properties
configure_azure_monitor_logs()  # in Azure: those properties become customDimensions in Application Insights

try:
    get_settings()  # fail at start-up, with every bad setting named, rather than inside a running analysis
except SettingsError as error:
    for problem in error.problems:
        logging.getLogger("analysis.settings").error("Bad app setting: %s", problem)
    raise SettingsError(error.problems) from None

# Function keys stay off (the frontend sends none): callers are authenticated by AUTH_MODE (http_api/caller.py).
app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for blueprint in (
    analyze_starter,
    analysis_results,
    health,
    analysis_orchestrator,
    submit_analysis,
    check_analysis_status,
    purge_finished_operations,
    openapi_document,
):
    app.register_functions(blueprint)
