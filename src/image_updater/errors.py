"""Every error image-updater raises on purpose, in one tree.

    ImageUpdaterError                 base; `str(err)` is a one-line message for users, never a secret
    ├── ConfigError                   permanent: the input is wrong; retrying will not help
    │   ├── InvalidImageReference     an image-list entry or image argument does not parse
    │   ├── InvalidConstraint         a semver constraint does not parse
    │   ├── InvalidTagFilter          an allow-tags / ignore-tags pattern does not compile
    │   ├── InvalidStrategy           an unknown update-strategy name
    │   ├── InvalidPlatform           a platforms entry is not os/arch[/variant], or too many
    │   ├── InvalidRegistryConfig     registries.conf is malformed (names the entry and key)
    │   ├── InvalidProxyConfig        HTTP(S)_PROXY is unusable, or a request would show credentials to it
    │   ├── InvalidCredentialRef      a credential reference does not parse
    │   ├── InvalidWriteBackConfig    write-back method/target/branch/template is malformed
    │   ├── InvalidYaml               a YAML file is over a size, depth or alias bound, or malformed
    │   ├── InvalidAnnotation         an Application annotation is malformed
    │   ├── InvalidImageUpdater       an ImageUpdater resource is malformed or selects badly
    │   └── KindNotServed             the API server does not serve a resource type (CRD not installed)
    ├── CredentialError               a credential reference could not be resolved
    ├── RegistryError                 the registry answered with something we cannot use
    │   ├── RegistryAuthError         401/403 after authenticating (or no usable challenge)
    │   ├── RegistryNotFound          404: repository, tag or manifest unknown
    │   └── RegistryProtocolError     invalid JSON, a bad header, pagination loops, oversized answers
    │       └── RegistryDigestMismatch  content does not hash to the digest it was fetched by
    ├── NoMatchingTag                 every tag was filtered out; carries the reasons
    ├── WriteBackError                a write-back failed and nothing was changed
    │   ├── GitError                  a git command failed (message carries no credentials)
    │   │   └── GitAuthError          the git server refused the credentials, or wanted some
    │   └── GitWorkdirError           git workdir still busy (another process, its git) or .lock a link
    ├── WebhookError                  a webhook request was refused (names its type and what is wrong)
    │   ├── WebhookAuthError          no secret configured for the type, a missing or wrong secret or
    │   │                             signature, or a replayed signed request
    │   └── InvalidWebhook            unknown type; the body is malformed, too large or deep, or lacks a field
    ├── InternalError                 a bug of ours met while handling one image or Application
    └── TransientError(delay)         worth retrying later: the cause is outside us
        ├── RegistryUnavailable       5xx, connection errors, timeouts after retries
        ├── RateLimited               429 after honouring Retry-After
        ├── DeadlineExceeded          the cycle deadline (--cycle-timeout) passed before this finished
        └── PushConflict              the remote branch moved and our retries ran out

Adapters translate third-party exceptions (aiohttp, subprocess, ruamel) into these at their edge
with `raise ... from`. Exactly one place, the runtime's per-Application step (and the CLI for
`test`), maps them to outcomes: ConfigError → reported, not retried until the input changes;
TransientError → retried after `delay`; anything else → reported and retried next cycle. An
exception that is none of these (a bug of ours) becomes an `InternalError` for the one image or
Application being handled, so it never stops the others.
"""

from __future__ import annotations


class ImageUpdaterError(Exception):
    """Base of every deliberate error. The message is for users and never contains a secret."""


class InternalError(ImageUpdaterError):
    """A bug of ours met while handling `subject`; the traceback is logged at debug level only."""

    def __init__(self, subject: str, err: BaseException) -> None:
        super().__init__(f"{subject}: internal error ({type(err).__name__}); rerun with --loglevel debug")


class ConfigError(ImageUpdaterError):
    """The configuration or input is wrong; retrying without changing it will not help."""


class InvalidImageReference(ConfigError):
    """An image reference or image-list entry does not parse."""


class InvalidConstraint(ConfigError):
    """A semver constraint does not parse."""


class InvalidTagFilter(ConfigError):
    """An allow-tags or ignore-tags pattern is malformed."""


class InvalidStrategy(ConfigError):
    """An update-strategy name is unknown."""


class InvalidPlatform(ConfigError):
    """A platforms entry is not `os/arch[/variant]`, or more platforms are listed than supported."""


class InvalidRegistryConfig(ConfigError):
    """registries.conf is malformed."""


class InvalidProxyConfig(ConfigError):
    """A proxy environment variable is unusable, or a request would hand credentials to the proxy."""


class InvalidCredentialRef(ConfigError):
    """A credential reference (`pullsecret:`, `secret:`, `env:`, `ext:`) does not parse."""


class InvalidWriteBackConfig(ConfigError):
    """A write-back method, target, branch or template is malformed."""


class InvalidYaml(ConfigError):
    """A YAML file is over a limit (size, depth, alias expansion), not UTF-8, or does not parse.

    `unquoted` is the message without the parser's description, which may quote the file (for
    Secrets, where that would be a password)."""

    def __init__(self, message: str, *, unquoted: str | None = None) -> None:
        super().__init__(message)
        self.unquoted = message if unquoted is None else unquoted


class InvalidAnnotation(ConfigError):
    """An Application annotation is malformed."""


class InvalidImageUpdater(ConfigError):
    """An ImageUpdater resource is malformed, or its settings for one Application are unusable."""


class KindNotServed(ConfigError):
    """The API server does not serve a resource type: its CRD is not installed (a 404 on a list)."""


class CredentialError(ImageUpdaterError):
    """A credential reference parsed but could not be resolved."""


class RegistryError(ImageUpdaterError):
    """The registry answered with something we cannot use."""


class RegistryAuthError(RegistryError):
    """Authentication or authorisation failed."""


class RegistryNotFound(RegistryError):
    """The repository, tag or manifest does not exist."""


class RegistryProtocolError(RegistryError):
    """The registry broke the protocol: bad JSON, bad headers, pagination loops, oversized bodies."""


class RegistryDigestMismatch(RegistryProtocolError):
    """A manifest or blob does not hash to its digest: the registry, or something on the way, lies."""


class NoMatchingTag(ImageUpdaterError):
    """No tag survived the filters and the strategy; `reasons` says why, per tag."""

    def __init__(self, message: str, reasons: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.reasons = reasons


class WriteBackError(ImageUpdaterError):
    """A write-back failed; the repository and the cluster are as they were."""


class GitError(WriteBackError):
    """A git command failed. The message never contains credentials."""


class GitAuthError(GitError):
    """The git server refused the credentials we had, or wanted credentials we did not have."""


class GitWorkdirError(WriteBackError):
    """The git workdir is still busy after waiting (another process holds its lock, or git a killed
    one started still works in it), or its lock file is a link."""


class WebhookError(ImageUpdaterError):
    """A webhook request was refused; the message names its type and never carries a secret."""


class WebhookAuthError(WebhookError):
    """The request is not proven to come from the configured sender: no secret is configured for
    its type, the secret or signature is missing or wrong, or a signed request was replayed."""


class InvalidWebhook(WebhookError):
    """The request is not a payload of its type: unknown type, malformed, oversized or too deeply
    nested body, or a required field missing or invalid."""


class TransientError(ImageUpdaterError):
    """Worth retrying after `delay` seconds: the cause is outside us."""

    def __init__(self, message: str, *, delay: float = 0.0) -> None:
        super().__init__(message)
        self.delay = delay


class RegistryUnavailable(TransientError):
    """5xx answers, connection errors or timeouts that outlasted our retries."""


class RateLimited(TransientError):
    """The registry kept answering 429 after we honoured Retry-After."""


class DeadlineExceeded(TransientError):
    """The cycle deadline passed before this work finished; it is tried again next cycle."""


class PushConflict(TransientError):
    """The remote branch kept moving; our bounded push retries ran out."""
