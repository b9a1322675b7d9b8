"""A strict fake Kubernetes API server for contract tests of `image_updater.kube`.

The real kubernetes_asyncio client talks HTTP to it. It keeps objects in memory and enforces what
the real API server enforces where our code could get it wrong: a global resourceVersion bumped on
every write, 409 on a stale write, the PATCH content types (415 for strategic merge on custom
resources, 400 for a JSON patch that is not a list or an apply without fieldManager), label
selectors, and watches that resume after a resourceVersion (an `ERROR` event with a 410 Status
when it has been compacted away, as the real server streams it). Every request is recorded.
The status subresource of `STATUS_SUBRESOURCE` kinds as the real server serves it: writes to
`…/status` change only `status` (spec and metadata sent are ignored, `generation` does not move),
writes to the object itself and creates ignore `status`. `metadata.generation` moves as for a
CRD: on any change outside metadata, and outside status too where the CRD has the status
subresource (ImageUpdater does; Argo CD's Application does not, so its status bumps it).
Finalizers hold a DELETE as the real server does: it sets deletionTimestamp (bumping the
generation) and the object goes once its last finalizer is removed; none may be added meanwhile.
Not served: pagination, field selectors, other subresources, admission, apply's field ownership.

Test hooks: `put`/`modify` write as another client would; `before_next_write` runs a concurrent
write just before the next PUT/PATCH (to provoke a 409); `fail_next` answers the next request
with a Status of your choice; `compact` forgets the watch history; `uninstall` stops serving a
resource type (its CRD deleted); `delete` deletes as another client would.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import itertools
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from ruamel.yaml import YAML

Obj = dict[str, Any]
Key = tuple[str, str, str, str]  # (groupVersion, plural, namespace, name)

RESOURCES = {  # (groupVersion, plural) -> (kind, is a custom resource)
    ("argoproj.io/v1alpha1", "applications"): ("Application", True),
    ("argocd-image-updater.argoproj.io/v1alpha1", "imageupdaters"): ("ImageUpdater", True),
    ("v1", "secrets"): ("Secret", False),
    ("v1", "events"): ("Event", False),
    ("events.k8s.io/v1", "events"): ("Event", False),
    ("coordination.k8s.io/v1", "leases"): ("Lease", False),
}
STATUS_SUBRESOURCE = {("argocd-image-updater.argoproj.io/v1alpha1", "imageupdaters")}
DISCOVERY = {
    "/version": {"major": "1", "minor": "31", "gitVersion": "v1.31.0"},
    "/api": {"kind": "APIVersions", "versions": ["v1"]},
    "/apis": {
        "kind": "APIGroupList",
        "groups": [
            {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}]}
            for gv in sorted({gv for gv, _ in RESOURCES if "/" in gv})
        ],
    },
}
GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")  # strconv.ParseBool; the Python client sends "True"
MERGE, JSON_PATCH, APPLY, STRATEGIC = (
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
    "application/strategic-merge-patch+json",
)


@dataclass(frozen=True, slots=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    content_type: str


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


def status_body(code: int, reason: str, message: str) -> Obj:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(doc: Obj, ops: list[Obj]) -> Obj:
    """RFC 6902: add, remove, replace, test (enough for the tests)."""
    doc = copy.deepcopy(doc)
    for op in ops:
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if op["op"] == "test" and node[int(last) if isinstance(node, list) else last] != op["value"]:
            raise ApiError(422, "Invalid", f"test operation failed at {op['path']}")
        if op["op"] in ("remove", "replace"):
            del node[int(last) if isinstance(node, list) else last]
        if op["op"] in ("add", "replace"):
            if isinstance(node, list):
                node.insert(len(node) if last == "-" else int(last), op["value"])
            else:
                node[last] = op["value"]
    return doc


def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    """Equality (`=`, `==`, `!=`), set (`in`, `notin`) and existence (`k`, `!k`) requirements."""
    for req in (r.strip() for r in re.split(r",(?![^()]*\))", selector) if r.strip()):
        if m := re.fullmatch(r"(\S+)\s+(in|notin)\s+\(([^)]*)\)", req):
            values = {v.strip() for v in m[3].split(",")}
            if (labels.get(m[1]) in values) != (m[2] == "in"):
                return False
        elif m := re.fullmatch(r"([^!=\s]+)\s*(==|=|!=)\s*(\S*)", req):
            if (labels.get(m[1]) == m[3]) != (m[2] != "!="):
                return False
        elif m := re.fullmatch(r"(!?)([^!=\s]+)", req):
            if (m[2] in labels) == bool(m[1]):
                return False
        else:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: {req!r}")
    return True


class FakeKube:
    """In-memory objects, a global resourceVersion, a watch history and a request log."""

    def __init__(self) -> None:
        self.url = ""  # set while serving
        self.objects: dict[Key, Obj] = {}
        self.requests: list[Recorded] = []
        self.history: list[tuple[int, str, Key, Obj]] = []
        self.compacted = 0
        self._rv = itertools.count(1000)
        self._before_write: list[Callable[[], None]] = []
        self._failures: list[tuple[int, str]] = []
        self.uninstalled: set[tuple[str, str]] = set()
        self._tick = asyncio.Event()  # set (and replaced) on every change: wakes the watches
        self._closing = False

    # -- direct access for tests --------------------------------------------------------------------
    def put(self, group_version: str, plural: str, obj: Obj) -> Obj:
        """Create (or overwrite) an object as if another client wrote it."""
        meta = obj.setdefault("metadata", {})
        key = (group_version, plural, meta.get("namespace", ""), meta["name"])
        old = self.objects.get(key)
        return self._store(key, copy.deepcopy(obj), old, "MODIFIED" if old else "ADDED")

    def get(self, group_version: str, plural: str, namespace: str, name: str) -> Obj:
        return self.objects[(group_version, plural, namespace, name)]

    def modify(
        self, group_version: str, plural: str, namespace: str, name: str, fn: Callable[[Obj], None]
    ) -> None:
        obj = copy.deepcopy(self.get(group_version, plural, namespace, name))
        fn(obj)
        self.put(group_version, plural, obj)

    def before_next_write(self, hook: Callable[[], None]) -> None:
        """Run `hook` just before the next PUT/PATCH is applied (a concurrent writer sneaking in)."""
        self._before_write.append(hook)

    def fail_next(self, code: int, reason: str) -> None:
        """Answer the next request with this Status instead of serving it (403, 500, 429, ...)."""
        self._failures.append((code, reason))

    def uninstall(self, group_version: str, plural: str) -> None:
        """Serve 404 for this resource type from now on, as after deleting its CRD."""
        self.uninstalled.add((group_version, plural))

    def delete(self, group_version: str, plural: str, namespace: str, name: str) -> Obj | None:
        """DELETE as another client would; the object still stored (being deleted), else None."""
        key = (group_version, plural, namespace, name)
        return self._delete(key, self.objects[key])

    def compact(self) -> None:
        """Forget the watch history: watches from an older resourceVersion get 410 Expired."""
        self.compacted = self._last_rv()
        self.history.clear()

    def writes(self, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if r.method in ({method} if method else {"POST", "PUT", "PATCH"})]

    # -- storage ------------------------------------------------------------------------------------
    def _last_rv(self) -> int:
        return max((rv for rv, *_ in self.history), default=self.compacted)

    def _store(self, key: Key, obj: Obj, old: Obj | None, event: str) -> Obj:
        group_version, plural, namespace, name = key
        kind, _ = RESOURCES[(group_version, plural)]
        meta = obj["metadata"]
        old_meta = old["metadata"] if old else {}
        meta.update(
            name=name, uid=old_meta.get("uid", str(uuid.uuid4())), resourceVersion=str(next(self._rv))
        )
        meta.setdefault("creationTimestamp", old_meta.get("creationTimestamp", _now()))
        if namespace:
            meta["namespace"] = namespace
        changed = old is None or _generation_fields(key, old) != _generation_fields(key, obj)
        meta["generation"] = old_meta.get("generation", 0) + (1 if changed else 0)
        obj.update(apiVersion=group_version, kind=kind)
        if _keep_deletion(old_meta, meta):
            del self.objects[key]  # the last finalizer is gone: the object with it
            event = "DELETED"
        else:
            self.objects[key] = obj
        self._record(int(meta["resourceVersion"]), event, key, obj)
        return copy.deepcopy(obj)

    def _delete(self, key: Key, current: Obj) -> Obj | None:
        """The real server's DELETE: with finalizers, mark the object (deletionTimestamp, a new
        generation) and keep it; without, remove it. Returns the object still stored, else None."""
        meta = current["metadata"]
        if meta.get("finalizers"):
            if "deletionTimestamp" not in meta:
                marked = copy.deepcopy(current)
                marked["metadata"].update(deletionTimestamp=_now(), deletionGracePeriodSeconds=0)
                marked["metadata"]["generation"] = meta.get("generation", 0) + 1
                self.objects[key] = marked
                marked["metadata"]["resourceVersion"] = str(next(self._rv))
                self._record(int(marked["metadata"]["resourceVersion"]), "MODIFIED", key, marked)
            return copy.deepcopy(self.objects[key])
        del self.objects[key]
        meta["resourceVersion"] = str(next(self._rv))
        self._record(int(meta["resourceVersion"]), "DELETED", key, current)
        return None

    def _record(self, rv: int, event: str, key: Key, obj: Obj) -> None:
        self.history.append((rv, event, key, copy.deepcopy(obj)))
        self._wake()

    def _wake(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()

    # -- HTTP ---------------------------------------------------------------------------------------
    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """Serve on 127.0.0.1 and a free port; yields the base URL."""
        app = web.Application(middlewares=[self._middleware])
        for path, body in DISCOVERY.items():
            app.router.add_get(path, _static(body))
        for prefix in ("/api/{version}", "/apis/{group}/{version}"):
            app.router.add_route("*", prefix + "/{plural}", self._collection)
            app.router.add_route("*", prefix + "/namespaces/{namespace}/{plural}", self._collection)
            app.router.add_route("*", prefix + "/namespaces/{namespace}/{plural}/{name}", self._item)
            app.router.add_route("*", prefix + "/namespaces/{namespace}/{plural}/{name}/status", self._status)
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            yield self.url
        finally:
            self._closing = True
            self._wake()
            await runner.cleanup()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(
            Recorded(
                request.method, request.path, dict(request.query), request.headers.get("Content-Type", "")
            )
        )
        try:
            if self._failures:
                code, reason = self._failures.pop(0)
                raise ApiError(code, reason, f"injected {reason} for {request.method} {request.path}")
            return await handler(request)  # type: ignore[no-any-return]
        except ApiError as err:
            return _json(status_body(err.code, err.reason, err.message), err.code)

    def _resource(self, request: web.Request) -> tuple[str, str, str]:
        info = request.match_info
        group_version = f"{info['group']}/{info['version']}" if "group" in info else info["version"]
        if (group_version, info["plural"]) not in RESOURCES.keys() - self.uninstalled:
            raise ApiError(
                404, "NotFound", f"the server could not find the requested resource {request.path}"
            )
        return group_version, info["plural"], info.get("namespace", "")

    async def _collection(self, request: web.Request) -> web.StreamResponse:
        group_version, plural, namespace = self._resource(request)
        if request.method == "POST" and namespace:
            return _json(await self._create(request, (group_version, plural, namespace, "")), 201)
        if request.method != "GET":
            raise ApiError(405, "MethodNotAllowed", f"{request.method} is not supported on {request.path}")
        selector = request.query.get("labelSelector", "")
        match = _matcher(group_version, plural, namespace, selector)
        if request.query.get("watch") in GO_TRUE:
            return await self._watch(request, match)
        items = [copy.deepcopy(o) for k, o in sorted(self.objects.items()) if match(k, o)]
        kind = RESOURCES[(group_version, plural)][0]
        meta = {"resourceVersion": str(self._last_rv())}
        return _json({"kind": f"{kind}List", "apiVersion": group_version, "metadata": meta, "items": items})

    async def _item(self, request: web.Request) -> web.Response:
        group_version, plural, namespace = self._resource(request)
        key = (group_version, plural, namespace, request.match_info["name"])
        if request.method in ("PUT", "PATCH"):
            hooks, self._before_write = self._before_write, []
            for hook in hooks:
                hook()
        current = self.objects.get(key)
        if current is None:
            raise ApiError(404, "NotFound", f'{plural} "{key[3]}" not found')
        if request.method == "GET":
            return _json(copy.deepcopy(current))
        if request.method == "DELETE":
            kept = self._delete(key, current)
            return _json(kept if kept is not None else current)
        if request.method == "PUT":
            new = await _body_json(request)
            if RESOURCES[key[:2]][1] and not new.get("metadata", {}).get("resourceVersion"):
                # custom resources do not allow unconditional updates (Leases and Secrets do)
                raise ApiError(
                    422, "Invalid", "metadata.resourceVersion: Invalid value: 0x0: must be specified"
                )
            return _json(self._write(key, current, new))
        if request.method == "PATCH":
            return _json(self._write(key, current, await self._patched(request, key, current)))
        raise ApiError(405, "MethodNotAllowed", f"{request.method} is not supported on {request.path}")

    async def _status(self, request: web.Request) -> web.Response:
        """`…/{name}/status`: GET the object; PUT/PATCH change its status and nothing else."""
        group_version, plural, namespace = self._resource(request)
        key = (group_version, plural, namespace, request.match_info["name"])
        if key[:2] not in STATUS_SUBRESOURCE:
            raise ApiError(
                404, "NotFound", f"the server could not find the requested resource {request.path}"
            )
        if request.method in ("PUT", "PATCH"):
            hooks, self._before_write = self._before_write, []
            for hook in hooks:
                hook()
        current = self.objects.get(key)
        if current is None:
            raise ApiError(404, "NotFound", f'{plural}.{group_version.split("/")[0]} "{key[3]}" not found')
        if request.method == "GET":
            return _json(copy.deepcopy(current))
        if request.method == "PUT":
            sent = await _body_json(request)
            if not sent.get("metadata", {}).get("resourceVersion"):
                raise ApiError(
                    422, "Invalid", "metadata.resourceVersion: Invalid value: 0x0: must be specified"
                )
        elif request.method == "PATCH":
            sent = await self._patched(request, key, current)
        else:
            raise ApiError(405, "MethodNotAllowed", f"{request.method} is not supported on {request.path}")
        return _json(self._write(key, current, _status_only(current, sent), status=True))

    async def _create(self, request: web.Request, key: Key) -> Obj:
        obj = await _body_json(request)
        if key[:2] in STATUS_SUBRESOURCE:
            obj.pop("status", None)  # a create sets no status when the subresource is enabled
        meta = obj.setdefault("metadata", {})
        if "name" not in meta and "generateName" in meta:
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        if not meta.get("name"):
            raise ApiError(422, "Invalid", "metadata.name: Required value")
        if meta.get("namespace", key[2]) != key[2]:
            raise ApiError(400, "BadRequest", "the namespace of the object does not match the request")
        key = (*key[:3], meta["name"])
        if key in self.objects:
            raise ApiError(409, "AlreadyExists", f'{key[1]} "{key[3]}" already exists')
        meta.pop("resourceVersion", None)
        return self._store(key, obj, None, "ADDED")

    def _write(self, key: Key, current: Obj, new: Obj, *, status: bool = False) -> Obj:
        if key[:2] in STATUS_SUBRESOURCE and not status:
            new = _keeping_status(current, new)
        sent_rv = new.get("metadata", {}).get("resourceVersion")
        if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {key[1]} "{key[3]}": the object has been modified; '
                "please apply your changes to the latest version and try again",
            )
        return self._store(key, new, current, "MODIFIED")

    async def _patched(self, request: web.Request, key: Key, current: Obj) -> Obj:
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        custom = RESOURCES[key[:2]][1]
        if content_type == MERGE or (content_type == STRATEGIC and not custom):
            patch = await _body_json(request)
            if not isinstance(patch, dict):
                raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
            return merge_patch(current, patch)  # type: ignore[no-any-return]
        if content_type == JSON_PATCH:
            ops = await _body_json(request)
            if not isinstance(ops, list):
                raise ApiError(
                    400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
                )
            return json_patch(current, ops)
        if content_type == APPLY:
            if not request.query.get("fieldManager"):
                raise ApiError(
                    400, "BadRequest", "PATCH requests with apply content type require a fieldManager"
                )
            return merge_patch(current, YAML(typ="safe").load(await request.text()))  # type: ignore[no-any-return]
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format ({content_type}) - "
            f"accepted media types include: {JSON_PATCH}, {MERGE}, {APPLY}",
        )

    async def _watch(self, request: web.Request, match: Callable[[Key, Obj], bool]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        since = request.query.get("resourceVersion", "")
        deadline = asyncio.get_running_loop().time() + float(request.query.get("timeoutSeconds", "3600"))
        if since in ("", "0"):
            for key, obj in sorted(self.objects.items()):
                if match(key, obj):
                    await _send(response, "ADDED", obj)
            cursor = self._last_rv()
        elif int(since) < self.compacted:
            await _send(response, "ERROR", status_body(410, "Expired", f"too old resource version: {since}"))
            return response
        else:
            cursor = int(since)
        while not self._closing:
            tick = self._tick
            for rv, event, key, obj in [h for h in self.history if h[0] > cursor]:
                cursor = rv
                if match(key, obj):
                    await _send(response, event, obj)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tick.wait(), remaining)
        return response


def _status_only(current: Obj, sent: Obj) -> Obj:
    """What a status write stores: the object as it is, with the sent status (and the sent
    resourceVersion, the write's precondition)."""
    new = copy.deepcopy(current)
    new["metadata"]["resourceVersion"] = sent.get("metadata", {}).get("resourceVersion")
    if "status" in sent:
        new["status"] = sent["status"]
    else:
        new.pop("status", None)
    return new


def _keeping_status(current: Obj, sent: Obj) -> Obj:
    """What a write to the object itself stores when status is a subresource: its status is kept."""
    new = {key: value for key, value in sent.items() if key != "status"}
    if "status" in current:
        new["status"] = copy.deepcopy(current["status"])
    return new


def _generation_fields(key: Key, obj: Obj) -> Obj:
    """What a change of moves `metadata.generation` (spec only, for built-in kinds)."""
    if not RESOURCES[key[:2]][1]:
        return {"spec": obj.get("spec")}
    ignored = {"metadata", "apiVersion", "kind"} | ({"status"} if key[:2] in STATUS_SUBRESOURCE else set())
    return {field: value for field, value in obj.items() if field not in ignored}


def _keep_deletion(old_meta: Obj, meta: Obj) -> bool:
    """Carry a deletion mark over a write, as the real server does (it cannot be set or unset by a
    write, and no finalizer may be added once it is set); True when the write removed the last
    finalizer of an object being deleted."""
    for field in ("deletionTimestamp", "deletionGracePeriodSeconds"):
        meta.pop(field, None)
        if field in old_meta:
            meta[field] = old_meta[field]
    if "deletionTimestamp" not in old_meta:
        return False
    added = set(meta.get("finalizers") or ()) - set(old_meta.get("finalizers") or ())
    if added:
        raise ApiError(
            422,
            "Invalid",
            f"metadata.finalizers: Forbidden: no new finalizers can be added if the object is being "
            f"deleted, found new finalizers {sorted(added)}",
        )
    return not meta.get("finalizers")


def _matcher(group_version: str, plural: str, namespace: str, selector: str) -> Callable[[Key, Obj], bool]:
    selector_matches(selector, {})  # a malformed selector is a 400 even when nothing would match

    def match(key: Key, obj: Obj) -> bool:
        if key[:2] != (group_version, plural) or (namespace and key[2] != namespace):
            return False
        return selector_matches(selector, obj.get("metadata", {}).get("labels") or {})

    return match


def _static(body: Obj) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_: web.Request) -> web.Response:
        return _json(body)

    return handler


async def _body_json(request: web.Request) -> Any:
    try:
        return json.loads(await request.text())
    except ValueError as err:
        raise ApiError(400, "BadRequest", f"the request body is not JSON: {err}") from err


async def _send(response: web.StreamResponse, event: str, obj: Obj) -> None:
    await response.write(json.dumps({"type": event, "object": obj}).encode() + b"\n")


def _json(body: Obj, code: int = 200) -> web.Response:
    return web.json_response(body, status=code)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
