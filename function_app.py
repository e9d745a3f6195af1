"""The function app: creates the Durable Functions app and registers each blueprint. Nothing else lives here."""

import azure.durable_functions as df
import azure.functions as func

from activities.check_analysis_status import bp as check_analysis_status
from activities.submit_analysis import bp as submit_analysis
from config.settings import get_settings
from http_api.analysis_results import bp as analysis_results
from http_api.analyze_starter import bp as analyze_starter
from http_api.openapi_document import bp as openapi_document
from orchestrators.analysis_orchestrator import bp as analysis_orchestrator
from timers.purge_finished_operations import bp as purge_finished_operations

get_settings()  # fail at start-up, with every bad setting named, rather than inside a running analysis

# Anonymous like the backend it replaces: the frontend sends no function key. Put the app behind
# App Service authentication or API Management in production (see README).
app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for blueprint in (
    analyze_starter,
    analysis_results,
    analysis_orchestrator,
    submit_analysis,
    check_analysis_status,
    purge_finished_operations,
    openapi_document,
):
    app.register_functions(blueprint)
