"""The duration model at the edge: settings, the folder and blob stores, the starter's cache and cold fallback,
the record_duration activity."""

import asyncio
import threading

import pytest

from activities.record_duration import record_duration
from config.per_process import reset_per_process
from config.settings import SettingsError, known_setting_names, load_settings
from domain.analyze_request import UrlPolicy
from domain.duration_model import ALL_SIZES, MIN_OBSERVATIONS, observe
from domain.polling_schedule import PollingPolicy
from duration_models import access
from duration_models.folder_store import FolderStore
from duration_models.store import StoreError, fold
from tests.unit.test_settings import BASE

COLD = PollingPolicy(timeout_seconds=300, initial_interval_seconds=2, max_interval_seconds=10)

RECORD = record_duration.build().get_user_function()


def warm_model(duration=180.0, count=MIN_OBSERVATIONS + 4):
    model = None
    for i in range(count):
        d = duration + (i % 5) - 2
        model = observe(model, "prebuilt-invoice", ALL_SIZES, [(d - 1, d + 1)])
    return model


# Settings


def test_the_new_settings_are_known_and_default_to_no_model():
    names = known_setting_names()
    assert {"DURATION_MODEL_STORE", "DURATION_MODEL_STORAGE_CONNECTION_STRING", "POLL_TARGET_LAG_SECONDS"} <= set(names)
    settings = load_settings(BASE)
    assert settings.duration_model_store is None and settings.poll_target_lag_seconds == 3


@pytest.mark.parametrize(
    ("value", "development", "named"),
    [
        ("file:.devhost/duration-models", False, "for local development only"),
        ("file:", True, "needs a folder"),
        ("ftp://store/models", False, "DURATION_MODEL_STORE must be"),
        ("https://account.blob.core.windows.net", False, "DURATION_MODEL_STORE must be"),
        ("http://models.example.com/c", False, "DURATION_MODEL_STORE must be"),
    ],
)
def test_bad_stores_are_refused(value, development, named):
    env = {**BASE, "DURATION_MODEL_STORE": value}
    if development:
        env.update({"AZURE_FUNCTIONS_ENVIRONMENT": "Development"})
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    assert named in str(error.value)


@pytest.mark.parametrize(
    ("value", "development"),
    [
        ("https://account.blob.core.windows.net/duration-models", False),
        ("http://127.0.0.1:10000/devstoreaccount1/duration-models", True),
        ("file:.devhost/duration-models", True),
    ],
)
def test_good_stores_are_accepted(value, development):
    env = {**BASE, "DURATION_MODEL_STORE": value, "POLL_TARGET_LAG_SECONDS": "2.5"}
    if development:
        env["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development"
    settings = load_settings(env)
    assert settings.duration_model_store == value and settings.poll_target_lag_seconds == 2.5


# The folder store


def test_the_folder_store_round_trips_and_refuses_odd_keys(tmp_path):
    store = FolderStore(tmp_path / "models")
    assert store.read("prebuilt-invoice") is None
    store.update("prebuilt-invoice", lambda current: {"n": (current or {}).get("n", 0) + 1})
    assert store.read("prebuilt-invoice") == {"n": 1}
    with pytest.raises(StoreError):
        store.read("../etc/passwd")


def test_concurrent_updates_to_the_folder_store_lose_nothing(tmp_path):
    stores = [FolderStore(tmp_path) for _ in range(4)]  # as if four processes shared the folder

    def work(store):
        for _ in range(25):
            store.update("a", lambda current: {"n": (current or {}).get("n", 0) + 1})

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stores[0].read("a") == {"n": 100}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


# The blob store (its behaviour against a real Azurite: tests/storage/test_duration_model_blob_store.py)


def test_the_blob_store_builds_its_clients_from_a_connection_string_or_an_identity(monkeypatch):
    from duration_models.blob_store import BlobStore

    azurite = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
    )
    store = BlobStore("http://127.0.0.1:10000/devstoreaccount1/duration-models", azurite)
    assert store.container.container_name == "duration-models"
    store = BlobStore("https://account.blob.core.windows.net/duration-models")
    assert store.container.container_name == "duration-models"


# The starter's cache and the cold fallback


class CountingStore:
    def __init__(self, document=None, fail=False):
        self.document, self.fail, self.reads = document, fail, 0

    def read(self, key):
        self.reads += 1
        if self.fail:
            raise StoreError("storage is down")
        return self.document

    def record(self, key, entry):
        if self.fail:
            raise StoreError("storage is down")
        self.document = fold(self.document, entry)


@pytest.fixture
def store_in(app_settings, monkeypatch, tmp_path):
    def install(store):
        app_settings(DURATION_MODEL_STORE=f"file:{tmp_path}")
        monkeypatch.setattr(access, "duration_model_store", lambda: store)
        return store

    return install


def test_the_model_is_read_at_most_once_a_minute_and_planned_once_per_read(store_in, monkeypatch):
    store = store_in(CountingStore(warm_model()))
    assert access.kept_model("prebuilt-invoice", now=1000.0) is None
    first = access.learned_model("prebuilt-invoice", now=1000.0)
    assert access.kept_model("prebuilt-invoice", now=1059.0) is first  # no I/O, no thread
    assert access.learned_model("prebuilt-invoice", now=1030.0) is first and store.reads == 1
    assert access.kept_model("prebuilt-invoice", now=1061.0) is None
    assert access.learned_model("prebuilt-invoice", now=1061.0) is not first and store.reads == 2
    plans = []
    monkeypatch.setattr(access, "planned_policy", lambda *args: plans.append(args) or COLD)
    assert first.policy(ALL_SIZES, COLD, 3) is COLD and first.policy(ALL_SIZES, COLD, 3) is COLD
    assert len(plans) == 1


def test_a_failing_store_means_the_cold_schedule_and_a_warning_per_failed_read(store_in, caplog):
    store = store_in(CountingStore(fail=True))
    assert access.learned_model("prebuilt-invoice", now=0.0).policy(ALL_SIZES, COLD, 3) is None
    assert access.learned_model("prebuilt-invoice", now=5.0).document is None
    assert store.reads == 1  # not asked again on every POST
    assert access.learned_model("prebuilt-invoice", now=20.0).document is None
    assert store.reads == 2  # retried after FAILURE_RETRY_SECONDS
    assert sum("cold schedule" in r.getMessage() for r in caplog.records) == 2


def analyze_request(body: bytes):
    from domain.analyze_request import parse_analyze_request

    return parse_analyze_request(
        "prebuilt-invoice", body, max_inputs=10, max_bytes=1 << 20, url_policy=UrlPolicy(("files.example.com",))
    )


def test_the_starter_plans_from_a_warm_model_and_falls_back_to_cold(store_in):
    from config.settings import get_settings
    from http_api.analyze_starter import _job_for, _learned_policy

    store = store_in(CountingStore(warm_model()))
    settings = get_settings()
    request = analyze_request(b'{"inputFiles": ["https://files.example.com/a.pdf"], "pages": "1-3"}')
    policy = asyncio.run(_learned_policy(request, settings))
    job = _job_for(request, {"kind": "user", "id": "u"}, settings, policy)
    planned = PollingPolicy.from_dict(job["policy"])
    assert planned.plan and 170 < planned.plan[0] <= 182 < planned.plan[-1] < 200  # around the 178-182 s it learned
    assert job["durationModel"] == {"bucket": "pages-2-3"}

    reset_per_process()
    store_in(CountingStore(fail=True))
    assert asyncio.run(_learned_policy(request, settings)) is None
    cold = _job_for(request, {"kind": "user", "id": "u"}, settings, None)
    assert cold["policy"] == settings.polling_policy.to_dict()
    assert store.reads == 1


def test_without_a_store_the_job_asks_for_no_learning(app_settings):
    from config.settings import get_settings
    from http_api.analyze_starter import _job_for, _learned_policy

    settings = get_settings()
    request = analyze_request(b'{"inputFiles": ["https://files.example.com/a.pdf"]}')
    assert asyncio.run(_learned_policy(request, settings)) is None
    assert "durationModel" not in _job_for(request, {"kind": "user", "id": "u"}, settings)


# The activity


def test_record_duration_teaches_the_shared_model(store_in):
    store = store_in(CountingStore())
    answer = RECORD(
        {"operationId": "op", "analyzerId": "prebuilt-invoice", "bucket": "pages-1", "observations": [[170, 180]]}
    )
    assert answer["kind"] == "ok" and answer["value"] == {"recorded": True}
    assert store.document["buckets"]["pages-1"]["observations"] == [[170.0, 180.0]]
    assert store.document["buckets"][ALL_SIZES]["count"] == 1


def test_record_duration_never_raises_when_the_store_fails(store_in):
    store_in(CountingStore(fail=True))
    answer = RECORD({"operationId": "op", "analyzerId": "prebuilt-invoice", "bucket": "all", "observations": [[1, 2]]})
    assert answer["kind"] == "transient" and answer["error"]["code"] == "DurationNotRecorded"
