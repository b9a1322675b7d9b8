"""CredentialResolver: env, Secrets on disk, ext: scripts, caching, and a real registry behind Basic auth."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
from pathlib import Path

import aiohttp
import pytest

from devtools import oci
from devtools.registry import LocalRegistry
from image_updater.credentials import CredentialRef, Credentials, parse_credential_ref
from image_updater.errors import CredentialError, InvalidCredentialRef
from image_updater.refs import ImageRef
from image_updater.registry.cache import MetadataCache
from image_updater.registry.client import RegistryClient
from image_updater.registry.counting import RequestCounter
from image_updater.registry.credentials import CredentialResolver
from image_updater.registry.limits import RequestLimiter
from image_updater.settings.registries import Endpoint, RegistryConfig, parse_registries_conf
from image_updater.sources.secret_files import SecretFiles

from . import FakeClock

PASSWORD = "s3cr3t-Passw0rd"
NOT_UTF8 = base64.b64encode(b"\xff\xfe").decode()
GHCR = parse_registries_conf(
    "registries:\n- name: GitHub\n  prefix: ghcr.io\n  api_url: https://ghcr.io\n"
    "  credentials: pullsecret:argocd/ghcr-creds\n  default: true\n  credsexpire: 5m\n"
).endpoints[0]
CREATED = dt.datetime(2024, 1, 15, tzinfo=dt.UTC)
FOREVER = Endpoint(name="Internal", api_url="https://registry.example.com", prefix="registry.example.com")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _kubectl_secret(name: str, namespace: str, server: str, user: str, password: str) -> str:
    # What `kubectl create secret docker-registry NAME --docker-server=... -o yaml` produces.
    entry = {"username": user, "password": password, "auth": _b64(f"{user}:{password}")}
    config = json.dumps({"auths": {server: entry}})
    return (
        f"apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\ndata:\n  .dockerconfigjson: {_b64(config)}\n"
    )


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    (directory / "ghcr.yaml").write_text(_kubectl_secret("ghcr-creds", "argocd", "ghcr.io", "bot", PASSWORD))
    (directory / "plain.yaml").write_text(
        "kind: Secret\nmetadata: {name: plain, namespace: argocd}\n"
        f'stringData: {{creds: "robot:{PASSWORD}\\n", other: x}}\n'
        f"data: {{binary: {NOT_UTF8}}}\n"
    )
    return directory


def _resolver(
    secrets_dir: Path | None = None, *, environ: dict[str, str] | None = None, clock: FakeClock | None = None
) -> CredentialResolver:
    return CredentialResolver(
        secrets=SecretFiles(secrets_dir) if secrets_dir else None,
        environ=environ if environ is not None else {},
        clock=clock or FakeClock(),
        ext_timeout=0.2,
    )


def _script(directory: Path, body: str, name: str = "creds.sh") -> str:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


# --- env, secret, pullsecret ---------------------------------------------------------------------


async def test_env() -> None:
    resolver = _resolver(environ={"HUB_CREDS": f"bot:{PASSWORD}\n"})
    assert await resolver.resolve(parse_credential_ref("env:HUB_CREDS"), endpoint=GHCR) == Credentials(
        "bot", PASSWORD
    )


async def test_secret_field(secrets_dir: Path) -> None:
    ref = parse_credential_ref("secret:argocd/plain#creds")
    assert await _resolver(secrets_dir).resolve(ref, endpoint=GHCR) == Credentials("robot", PASSWORD)


async def test_pullsecret_from_kubectl_created_secret(secrets_dir: Path) -> None:
    ref = parse_credential_ref(GHCR.credentials or "")
    assert await _resolver(secrets_dir).resolve(ref, endpoint=GHCR) == Credentials("bot", PASSWORD)


async def test_pullsecret_registry_prefix_overrides_endpoint_host(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        _kubectl_secret("hub", "ci", "https://index.docker.io/v1/", "me", PASSWORD)
    )
    ref = parse_credential_ref("docker.io=pullsecret:ci/hub")
    mirror = Endpoint(name="Mirror", api_url="https://mirror.example.com", prefix="mirror.example.com")
    assert await _resolver(tmp_path).resolve(ref, endpoint=mirror) == Credentials("me", PASSWORD)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        pytest.param("env:NOPE", "env:NOPE: environment variable NOPE is not set", id="env-missing"),
        pytest.param("env:BAD", "env:BAD: value is not in the form <username>:<password>", id="env-no-colon"),
        pytest.param(
            "secret:argocd/plain#token",
            'secret:argocd/plain#token: Secret argocd/plain has no field "token"; '
            "fields present: binary, creds, other",
            id="secret-field-missing",
        ),
        pytest.param(
            "secret:argocd/plain#binary",
            'secret:argocd/plain#binary: field "binary" is not UTF-8',
            id="binary",
        ),
        pytest.param("secret:argocd/gone#x", "Secret argocd/gone not found in", id="secret-missing"),
        pytest.param(
            "pullsecret:argocd/plain",
            'pullsecret:argocd/plain: Secret argocd/plain has no field ".dockerconfigjson"; fields present: '
            "binary, creds, other; create it with kubectl create secret docker-registry",
            id="pullsecret-wrong-type",
        ),
        pytest.param(
            "pullsecret:argocd/ghcr-creds",
            'pullsecret:argocd/ghcr-creds: Secret argocd/ghcr-creds: no "auths" entry for registry '
            '"registry.example.com" (API https://registry.example.com); entries present: "ghcr.io"',
            id="pullsecret-no-entry",
        ),
    ],
)
async def test_resolution_errors(secrets_dir: Path, reference: str, message: str) -> None:
    resolver = _resolver(secrets_dir, environ={"BAD": PASSWORD})
    with pytest.raises(CredentialError) as caught:
        await resolver.resolve(parse_credential_ref(reference), endpoint=FOREVER)
    assert message in str(caught.value)
    assert PASSWORD not in str(caught.value)


async def test_secret_reference_without_secret_source() -> None:
    with pytest.raises(CredentialError, match="Secrets cannot be read here"):
        await _resolver().resolve(parse_credential_ref("secret:a/b#c"), endpoint=GHCR)


# --- ext: scripts --------------------------------------------------------------------------------


async def test_ext_script_first_line_is_user_pass(tmp_path: Path) -> None:
    script = _script(tmp_path, f'echo "bot:{PASSWORD}:tail"\necho second line\n')
    creds = await _resolver().resolve(parse_credential_ref(f"ext:{script}"), endpoint=GHCR)
    assert creds == Credentials("bot", f"{PASSWORD}:tail")


async def test_ext_script_gets_environ_and_no_arguments(tmp_path: Path) -> None:
    script = _script(tmp_path, 'echo "$REGION-user:$#"\n')
    resolver = _resolver(environ={"REGION": "eu"})
    assert await resolver.resolve(parse_credential_ref(f"ext:{script}"), endpoint=GHCR) == Credentials(
        "eu-user", "0"
    )


async def test_ext_timeout_kills_the_script_and_what_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = _script(tmp_path, f"sleep 30 &\necho $! > {pid_file}\necho 'bot:{PASSWORD}'\nwait\n")
    started = time.monotonic()
    with pytest.raises(CredentialError) as caught:
        await _resolver().resolve(parse_credential_ref(f"ext:{script}"), endpoint=GHCR)
    assert time.monotonic() - started < 5
    assert str(caught.value) == (
        f"ext:{script}: no answer within 0.2s; "
        "the script must print <username>:<password> on one line and exit"
    )
    await asyncio.sleep(0.05)
    assert not _alive(int(pid_file.read_text()))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            f"echo 'bot:{PASSWORD}'\necho 'token expired for role x' >&2\necho second >&2\nexit 3\n",
            "exited with status 3: token expired for role x",
            id="stderr-first-line",
        ),
        pytest.param(
            f"echo 'bot:{PASSWORD}'\nexit 1\n",
            "exited with status 1 and wrote nothing to stderr",
            id="silent",
        ),
        pytest.param(
            f"echo '{PASSWORD}'\n", "output: value is not in the form <username>:<password>", id="no-colon"
        ),
        pytest.param("true\n", "output: value is not in the form", id="no-output"),
    ],
)
async def test_ext_failure_never_shows_stdout(tmp_path: Path, body: str, message: str) -> None:
    script = _script(tmp_path, body)
    with pytest.raises(CredentialError) as caught:
        await _resolver().resolve(parse_credential_ref(f"ext:{script}"), endpoint=GHCR)
    assert str(caught.value).startswith(f"ext:{script}: ")
    assert message in str(caught.value)
    assert PASSWORD not in str(caught.value)


async def test_ext_stderr_excerpt_is_bounded(tmp_path: Path) -> None:
    script = _script(tmp_path, "printf '%0500d' 0 >&2\nexit 2\n")
    with pytest.raises(CredentialError) as caught:
        await _resolver().resolve(parse_credential_ref(f"ext:{script}"), endpoint=GHCR)
    assert str(caught.value).endswith(": " + "0" * 200)


async def test_ext_not_executable_or_missing(tmp_path: Path) -> None:
    script = tmp_path / "plain.sh"
    script.write_text("#!/bin/sh\necho a:b\n")
    with pytest.raises(CredentialError, match=r"is not executable; chmod \+x it"):
        await _resolver().resolve(parse_credential_ref(f"ext:{script}"), endpoint=GHCR)
    with pytest.raises(CredentialError, match=r"/nowhere/creds\.sh does not exist"):
        await _resolver().resolve(parse_credential_ref("ext:/nowhere/creds.sh"), endpoint=GHCR)


# --- caching -------------------------------------------------------------------------------------


def _counting_script(directory: Path) -> tuple[CredentialRef, Path]:
    runs = directory / "runs"
    script = _script(directory, f'echo x >> {runs}\necho "bot:$(wc -l < {runs} | tr -d " ")"\n', "count.sh")
    return parse_credential_ref(f"ext:{script}"), runs


async def test_credsexpire_rereads_after_it_passes(tmp_path: Path) -> None:
    ref, _ = _counting_script(tmp_path)
    clock = FakeClock()
    resolver = _resolver(clock=clock)
    assert (await resolver.resolve(ref, endpoint=GHCR)).password == "1"
    clock.now += 299
    assert (await resolver.resolve(ref, endpoint=GHCR)).password == "1"
    clock.now += 1
    assert (await resolver.resolve(ref, endpoint=GHCR)).password == "2"
    clock.now += 100
    assert (await resolver.resolve(ref, endpoint=GHCR)).password == "2"


async def test_no_credsexpire_caches_for_the_process(tmp_path: Path) -> None:
    ref, _ = _counting_script(tmp_path)
    clock = FakeClock()
    resolver = _resolver(clock=clock)
    assert (await resolver.resolve(ref, endpoint=FOREVER)).password == "1"
    clock.now += 10**9
    assert (await resolver.resolve(ref, endpoint=FOREVER)).password == "1"


async def test_uncached_reads_every_time(tmp_path: Path) -> None:
    ref, _ = _counting_script(tmp_path)
    resolver = _resolver()
    passwords = [(await resolver.resolve(ref, endpoint=FOREVER, cached=False)).password for _ in range(3)]
    assert passwords == ["1", "2", "3"]
    assert (await resolver.resolve(ref, endpoint=FOREVER)).password == "4"


async def test_invalidate_drops_only_that_endpoint(tmp_path: Path) -> None:
    ref, _ = _counting_script(tmp_path)
    resolver = _resolver()
    assert (await resolver.resolve(ref, endpoint=GHCR)).password == "1"
    assert (await resolver.resolve(ref, endpoint=FOREVER)).password == "2"
    resolver.invalidate(GHCR)
    assert (await resolver.resolve(ref, endpoint=GHCR)).password == "3"
    assert (await resolver.resolve(ref, endpoint=FOREVER)).password == "2"


async def test_concurrent_callers_share_one_read(tmp_path: Path) -> None:
    ref, runs = _counting_script(tmp_path)
    resolver = _resolver()
    results = await asyncio.gather(*(resolver.resolve(ref, endpoint=GHCR) for _ in range(5)))
    assert {creds.password for creds in results} == {"1"}
    assert runs.read_text().count("x") == 1


async def test_failures_are_not_cached(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    resolver = _resolver(environ=environ)
    ref = parse_credential_ref("env:LATER")
    with pytest.raises(CredentialError):
        await resolver.resolve(ref, endpoint=GHCR)
    environ["LATER"] = "a:b"
    assert await resolver.resolve(ref, endpoint=GHCR) == Credentials("a", "b")


async def test_provider() -> None:
    resolver = _resolver(environ={"C": f"bot:{PASSWORD}"})
    assert await resolver.provider(None, GHCR)() is None
    assert await resolver.provider(parse_credential_ref("env:C"), GHCR)() == Credentials("bot", PASSWORD)


# --- a real registry behind Basic auth -----------------------------------------------------------


async def test_pullsecret_against_htpasswd_registry(
    registry_htpasswd: LocalRegistry, registry_auth: oci.BasicAuth, fresh_repo: str, tmp_path: Path
) -> None:
    user, password = registry_auth
    oci.push_image(registry_htpasswd.url, fresh_repo, "1.0.0", created=CREATED, auth=registry_auth)
    secret = _kubectl_secret("local", "argocd", f"http://{registry_htpasswd.host}", user, password)
    (tmp_path / "local.yaml").write_text(secret)
    endpoint = RegistryConfig().resolve(ImageRef(registry_htpasswd.host, fresh_repo))
    resolver = _resolver(tmp_path)
    async with aiohttp.ClientSession() as session:
        client = RegistryClient(
            session=session,
            endpoint=endpoint,
            credentials=resolver.provider(parse_credential_ref("pullsecret:argocd/local"), endpoint),
            counter=RequestCounter(),
            limiter=RequestLimiter(limit=None),
            cache=MetadataCache(),
        )
        assert await client.list_tags(fresh_repo) == ["1.0.0"]


async def test_for_endpoint_uses_the_endpoint_reference(secrets_dir: Path) -> None:
    resolver = _resolver(secrets_dir)
    assert await resolver.for_endpoint(GHCR)() == Credentials("bot", PASSWORD)
    assert await resolver.for_endpoint(FOREVER)() is None


def test_for_endpoint_names_the_endpoint_of_a_bad_reference() -> None:
    endpoint = Endpoint(name="Quay", api_url="https://quay.io", credentials=f"robot:{PASSWORD}")
    with pytest.raises(InvalidCredentialRef) as caught:
        _resolver().for_endpoint(endpoint)
    assert str(caught.value).startswith('registry "Quay": credential reference: unknown or missing type')
    assert PASSWORD not in str(caught.value)
