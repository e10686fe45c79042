{{- define "reel.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "reel.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "reel.workerSelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: worker
{{- end -}}

{{/* Chunk encodes per pod: worker.concurrency, or one per requested CPU ("4", "2.5", "3500m"), at least 1. */}}
{{- define "reel.concurrency" -}}
{{- if gt (int .Values.worker.concurrency) 0 -}}
{{- .Values.worker.concurrency -}}
{{- else -}}
{{- $cpu := toString (default "1" .Values.worker.resources.requests.cpu) -}}
{{- $n := 1 -}}
{{- if hasSuffix "m" $cpu -}}
{{- $n = div (trimSuffix "m" $cpu | int) 1000 -}}
{{- else -}}
{{- $n = $cpu | float64 | floor | int -}}
{{- end -}}
{{- max $n 1 -}}
{{- end -}}
{{- end -}}

{{/* The drain grace in whole seconds, for terminationGracePeriodSeconds. */}}
{{- define "reel.graceSeconds" -}}
{{- $g := toString .Values.worker.drainGrace -}}
{{- if hasSuffix "ms" $g -}}0
{{- else if hasSuffix "s" $g -}}{{ trimSuffix "s" $g | int }}
{{- else if hasSuffix "m" $g -}}{{ mul (trimSuffix "m" $g | int) 60 }}
{{- else if hasSuffix "h" $g -}}{{ mul (trimSuffix "h" $g | int) 3600 }}
{{- else -}}{{ fail "worker.drainGrace: use whole s, m or h (e.g. 120s)" }}
{{- end -}}
{{- end -}}

{{/* Environment shared by workers and the dashboard: secrets only as env. */}}
{{- define "reel.secretEnv" -}}
{{- if .Values.temporal.apiKey.existingSecret }}
- name: REEL_TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKey.existingSecret }}
      key: {{ .Values.temporal.apiKey.key }}
{{- end }}
{{- if .Values.s3.credentials.existingSecret }}
- name: REEL_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.s3.credentials.existingSecret }}
      key: {{ .Values.s3.credentials.accessKeyKey }}
- name: REEL_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.s3.credentials.existingSecret }}
      key: {{ .Values.s3.credentials.secretKeyKey }}
{{- end }}
{{- end -}}
