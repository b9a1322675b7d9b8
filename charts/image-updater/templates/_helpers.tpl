{{/* The `app.kubernetes.io/name` label: argocd-image-updater's, so its docs' selectors work. */}}
{{- define "image-updater.name" -}}
{{- default "argocd-image-updater" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object name prefix: the release name when it already contains the name, else <release>-<name>. */}}
{{- define "image-updater.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "image-updater.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The namespace of every object: namespaceOverride, else the release's. */}}
{{- define "image-updater.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{- define "image-updater.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "image-updater.selectorLabels" -}}
app.kubernetes.io/name: {{ include "image-updater.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "image-updater.labels" -}}
helm.sh/chart: {{ include "image-updater.chart" . }}
{{ include "image-updater.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: argocd-image-updater
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "image-updater.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "image-updater.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Where Argo CD's repository Secrets and the leader Lease live. */}}
{{- define "image-updater.argocdNamespace" -}}
{{- default (include "image-updater.namespace" .) .Values.config.argocd.namespace -}}
{{- end -}}

{{/*
The controller image. argocd-image-updater's own repository (argo-helm's default, present in any
copied values file) means "the chart's image": it would not understand this chart's pod.
*/}}
{{- define "image-updater.image" -}}
{{- $repository := .Values.image.repository -}}
{{- if eq $repository "quay.io/argoprojlabs/argocd-image-updater" -}}
{{- $repository = "ghcr.io/image-updater/image-updater" -}}
{{- end -}}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* registries.conf as argocd-image-updater reads it: a `registries:` list. */}}
{{- define "image-updater.registriesConf" -}}
{{- if .Values.config.registries -}}
registries:
{{ toYaml .Values.config.registries }}
{{- else -}}
registries: []
{{- end -}}
{{- end -}}

{{/*
config.interval in seconds, for the slow-cycle alert. Only a single-unit duration (90s, 2m, 1h)
or a bare number of seconds is understood; anything else needs metrics.prometheusRule.slowCycleSeconds.
*/}}
{{- define "image-updater.intervalSeconds" -}}
{{- $interval := toString .Values.config.interval -}}
{{- if regexMatch "^[0-9]+$" $interval -}}
{{- $interval -}}
{{- else if regexMatch "^[0-9]+s$" $interval -}}
{{- trimSuffix "s" $interval -}}
{{- else if regexMatch "^[0-9]+m$" $interval -}}
{{- mul (trimSuffix "m" $interval | atoi) 60 -}}
{{- else if regexMatch "^[0-9]+h$" $interval -}}
{{- mul (trimSuffix "h" $interval | atoi) 3600 -}}
{{- else -}}
{{- fail (printf "config.interval %q has more than one unit; set metrics.prometheusRule.slowCycleSeconds for the ImageUpdaterCycleSlow alert" $interval) -}}
{{- end -}}
{{- end -}}

{{/* Values of argo-helm's chart that have no counterpart here: rendering fails, naming them. */}}
{{- define "image-updater.refuseUnsupported" -}}
{{- if and .Values.ingress.enabled (not .Values.webhook.enabled) -}}
{{- fail "ingress.enabled: the Ingress exposes the webhook server; set webhook.enabled=true as well" -}}
{{- end -}}
{{- end -}}

{{/*
Upstream's environment variable for each key of the config ConfigMap (argocd-image-updater's
install manifests and argo-helm's chart wire the same). The CLI reads each one with the same
meaning (cli/run_command.py), or names it as ignored at start-up (cli/upstream_settings.py).
*/}}
{{- define "image-updater.configEnv" -}}
APPLICATIONS_API: applications_api
ARGOCD_GRPC_WEB: argocd.grpc_web
ARGOCD_SERVER: argocd.server_addr
ARGOCD_INSECURE: argocd.insecure
ARGOCD_PLAINTEXT: argocd.plaintext
IMAGE_UPDATER_INTERVAL: interval
IMAGE_UPDATER_LOGLEVEL: log.level
IMAGE_UPDATER_LOGFORMAT: log.format
GIT_COMMIT_USER: git.user
GIT_COMMIT_EMAIL: git.email
GIT_COMMIT_SIGNING_KEY: git.commit-signing-key
GIT_COMMIT_SIGNING_METHOD: git.commit-signing-method
GIT_COMMIT_SIGN_OFF: git.commit-sign-off
IMAGE_UPDATER_KUBE_EVENTS: kube.events
ENABLE_WEBHOOK: webhook.enable
WEBHOOK_PORT: webhook.port
WEBHOOK_RATELIMIT_ALLOWED: webhook.ratelimit-allowed
WEBHOOK_REQUIRE_SECRET: webhook.require-secret
DISABLE_TLS: disable-tls
TLS_MIN_VERSION: tls.min-version
TLS_MAX_VERSION: tls.max-version
{{- end -}}

{{/* The same for the keys of argocd-image-updater-secret (config.argocd.tokenSecretName). */}}
{{- define "image-updater.secretEnv" -}}
ARGOCD_TOKEN: argocd.token
DOCKER_WEBHOOK_SECRET: webhook.docker-secret
GHCR_WEBHOOK_SECRET: webhook.ghcr-secret
QUAY_WEBHOOK_SECRET: webhook.quay-secret
HARBOR_WEBHOOK_SECRET: webhook.harbor-secret
ALIYUN_ACR_WEBHOOK_SECRET: webhook.aliyun-acr-secret
ACR_WEBHOOK_SECRET: webhook.acr-secret
CLOUDEVENTS_WEBHOOK_SECRET: webhook.cloudevents-secret
DISTRIBUTION_WEBHOOK_SECRET: webhook.distribution-secret
GITLAB_WEBHOOK_SECRET: webhook.gitlab-secret
{{- end -}}

{{/*
The namespaces whose Applications are watched, as a JSON list: config.applicationsNamespaces, else
(without cluster roles, which only a namespace's Role replaces) the release namespace, else all.
*/}}
{{- define "image-updater.applicationsNamespaces" -}}
{{- if .Values.config.applicationsNamespaces -}}
{{- toJson .Values.config.applicationsNamespaces -}}
{{- else if and .Values.rbac.enabled (not .Values.createClusterRoles) -}}
{{- list (include "image-updater.namespace" .) | toJson -}}
{{- else -}}
[]
{{- end -}}
{{- end -}}
