{{/* Names, labels and the pieces every workload shares. */}}

{{- define "ve.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ve.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one component's objects: "<fullname>-<component>". Call with (list $ "face"). */}}
{{- define "ve.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "ve.fullname" $root | trunc 50 | trimSuffix "-") (index . 1) -}}
{{- end -}}

{{- define "ve.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "ve.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "ve.labels" -}}
{{- $root := index . 0 -}}
{{ include "ve.selectorLabels" . }}
app.kubernetes.io/part-of: video-emotion
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels without a component, for chart-wide objects (ServiceMonitor, dashboard). */}}
{{- define "ve.commonLabels" -}}
app.kubernetes.io/name: {{ include "ve.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: video-emotion
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "ve.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ve.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image of one of our images. Call with (list $ .image). */}}
{{- define "ve.image" -}}
{{- $root := index . 0 -}}
{{- $image := index . 1 -}}
{{- printf "%s/%s:%s" $root.Values.image.registry $image.repository (default $root.Chart.AppVersion $root.Values.image.tag) -}}
{{- end -}}

{{/* In-cluster base URL of a component's HTTP port. Call with (list $ "face" 8000). */}}
{{- define "ve.url" -}}
{{- printf "http://%s:%v" (include "ve.componentName" (list (index . 0) (index . 1))) (index . 2) -}}
{{- end -}}

{{- define "ve.tritonUrl" -}}
{{- include "ve.url" (list . "triton" 8000) -}}
{{- end -}}

{{/* The three HTTP probes of the gateway and the services, on the port named "http". */}}
{{- define "ve.serviceProbes" -}}
{{- $p := . -}}
startupProbe:
  httpGet: {path: {{ $p.startup.path }}, port: http}
  periodSeconds: {{ $p.startup.periodSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
readinessProbe:
  httpGet: {path: {{ $p.readiness.path }}, port: http}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
livenessProbe:
  httpGet: {path: {{ $p.liveness.path }}, port: http}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
{{- end -}}

{{/* env entries from a map, sorted so renders are stable. */}}
{{- define "ve.envMap" -}}
{{- range $key := keys . | sortAlpha }}
- name: {{ $key }}
  value: {{ index $ $key | toString | quote }}
{{- end -}}
{{- end -}}

{{/* PodDisruptionBudget body. Call with (list $ "face" .pdb). */}}
{{- define "ve.pdb" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $pdb := index . 2 -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "ve.componentName" (list $root $component) }}
  labels:
    {{- include "ve.labels" (list $root $component) | nindent 4 }}
spec:
  {{- if hasKey $pdb "minAvailable" }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "ve.selectorLabels" (list $root $component) | nindent 6 }}
{{- end -}}

{{/* HorizontalPodAutoscaler body. Call with (list $ "face" .autoscaling). */}}
{{- define "ve.hpa" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $as := index . 2 -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "ve.componentName" (list $root $component) }}
  labels:
    {{- include "ve.labels" (list $root $component) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "ve.componentName" (list $root $component) }}
  minReplicas: {{ $as.minReplicas }}
  maxReplicas: {{ $as.maxReplicas }}
  metrics:
    {{- if $as.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $as.targetCPUUtilizationPercentage }}
    {{- end }}
    {{- if $as.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ $as.targetMemoryUtilizationPercentage }}
    {{- end }}
    {{- with $as.queueTime }}
    {{- if .enabled }}
    - type: Pods
      pods:
        metric:
          name: {{ .metricName }}
        target:
          type: AverageValue
          averageValue: {{ .targetAverageValue | quote }}
    {{- end }}
    {{- end }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
{{- end -}}

{{/* The writable /tmp every pod gets (the root filesystem is read-only). */}}
{{- define "ve.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{/* The peer Prometheus scrapes from (networkPolicy.prometheus), as one "from" list item. */}}
{{- define "ve.prometheusPeer" -}}
{{- $p := .Values.networkPolicy.prometheus -}}
- {{- with $p.namespaceSelector }}
  namespaceSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $p.podSelector }}
  podSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* Name of the Secret holding the webhook signing key. */}}
{{- define "ve.webhookSecretName" -}}
{{- .Values.gateway.webhookSecret.existingSecret | default (printf "%s-webhook" (include "ve.componentName" (list . "gateway"))) -}}
{{- end -}}

{{/* Environment shared by the gateway API and the workers: services, data, database, webhook key. */}}
{{- define "ve.gatewayEnv" -}}
{{- $gw := .Values.gateway -}}
{{- range $component := list "face" "text" "audio" "fusion" }}
- name: EMO_GATEWAY_{{ upper $component }}_URL
  value: {{ include "ve.url" (list $ $component 8000) | quote }}
{{- end }}
- name: EMO_GATEWAY_TRITON_URL
  value: {{ include "ve.tritonUrl" . | quote }}
- name: EMO_GATEWAY_DATA_DIR
  value: {{ $gw.persistence.mountPath | quote }}
{{- if .Values.database.enabled }}
- name: EMO_GATEWAY_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.secretKey }}
- name: EMO_GATEWAY_DATABASE_POOL_SIZE
  value: {{ .Values.database.poolSize | default 4 | quote }}
{{- end }}
{{- if $gw.webhookSecret.enabled }}
- name: EMO_GATEWAY_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "ve.webhookSecretName" . }}
      key: {{ $gw.webhookSecret.secretKey }}
{{- end }}
{{- end -}}
