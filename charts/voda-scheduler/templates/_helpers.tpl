{{/*
Prefix of the chart's own object names: the release name, with "-voda-scheduler"
appended unless it already says so (`helm install voda-scheduler ...` gives
voda-scheduler-manager, not voda-scheduler-voda-scheduler-manager). The Services
keep the old services' fixed names instead (voda-scheduler-svc,
scheduler-<gpu-type>-svc), because scripts and dashboards address them by name.
*/}}
{{- define "voda.fullname" -}}
{{- if contains "voda-scheduler" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-voda-scheduler" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "voda.labels" -}}
app.kubernetes.io/name: voda-scheduler
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "voda.commonLabels" . }}
{{- end -}}

{{/* The labels besides name and instance (pod templates add them to their selector's). */}}
{{- define "voda.commonLabels" -}}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: "manager", or "scheduler" plus the GPU type. */}}
{{- define "voda.selector" -}}
app.kubernetes.io/name: voda-scheduler
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- with .gpuType }}
vodascheduler.io/gpu-type: {{ . }}
{{- end }}
{{- end -}}

{{- define "voda.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "voda.compatNamespace" -}}
{{ .Values.compatNamespace | default .Release.Namespace }}
{{- end -}}

{{/* The manager's base URL as training pods reach it: the Service's port is always 55587. */}}
{{- define "voda.progressUrl" -}}
{{- .Values.manager.progressUrl | default (printf "http://voda-scheduler-svc.%s.svc:55587" .Release.Namespace) -}}
{{- end -}}

{{- define "voda.managerName" -}}
{{ include "voda.fullname" . }}-manager
{{- end -}}

{{/* Per GPU type: Deployment, ServiceAccount and RBAC names. */}}
{{- define "voda.schedulerName" -}}
{{ include "voda.fullname" .root }}-{{ .gpuType }}
{{- end -}}

{{/* The Lease the scheduler of a GPU type elects its leader with (src/cli/scheduler.rs). */}}
{{- define "voda.schedulerLease" -}}
voda-scheduler-{{ . }}
{{- end -}}

{{/* Fail early on a GPU type the Service name or the scheduler cannot take. */}}
{{- define "voda.checkGpuType" -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" .name) -}}
{{- fail (printf "gpuTypes: %q is not a DNS label (lower-case letters, digits and '-')" .name) -}}
{{- end -}}
{{- if has .name (list "manager" "scheduler") -}}
{{- fail (printf "gpuTypes: %q would share its ServiceAccount and RBAC names with the chart's %s" .name .name) -}}
{{- end -}}
{{- if gt (len .name) 49 -}}
{{- fail (printf "gpuTypes: %q is longer than 49 characters; its Service scheduler-%s-svc would exceed 63" .name .name) -}}
{{- end -}}
{{- end -}}

{{/* Security context, probes and common env of both containers. */}}
{{- define "voda.container" -}}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
env:
  # Leader-election identity and the instance of the Events it records.
  - name: POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
  - name: RUST_LOG
    value: {{ .Values.logLevel | quote }}
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}
