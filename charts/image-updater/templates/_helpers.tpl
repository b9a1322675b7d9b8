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
{{- default .Release.Namespace .Values.config.argocd.namespace -}}
{{- end -}}

{{- define "image-updater.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
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
