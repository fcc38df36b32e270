{{/*
Names, labels and the pieces every workload shares.
*/}}

{{- define "packyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "packyard.fullname" -}}
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

{{- define "packyard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "packyard.labels" -}}
helm.sh/chart: {{ include "packyard.chart" . }}
{{ include "packyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: packyard
{{- end -}}

{{/* Labels that never change, for selectors. */}}
{{- define "packyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "packyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of the `helm test` Pod: its own name, so no policy of the chart selects it. */}}
{{- define "packyard.helmTestLabels" -}}
app.kubernetes.io/name: {{ printf "%s-helm-test" (include "packyard.name" .) }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: helm-test
{{- end -}}

{{/* Object name of one component: packyard.componentName (dict "root" $ "component" "gateway"). */}}
{{- define "packyard.componentName" -}}
{{- printf "%s-%s" (include "packyard.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "packyard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "packyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "packyard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret that holds the database URL: the chart's own or postgres.existingSecret. */}}
{{- define "packyard.postgresSecretName" -}}
{{- default (include "packyard.fullname" .) .Values.postgres.existingSecret -}}
{{- end -}}

{{- define "packyard.postgresSecretKey" -}}
{{- if .Values.postgres.existingSecret -}}{{ .Values.postgres.existingSecretKey }}{{- else -}}database-url{{- end -}}
{{- end -}}

{{- define "packyard.s3SecretName" -}}
{{- default (include "packyard.fullname" .) .Values.s3.existingSecret -}}
{{- end -}}

{{- define "packyard.s3AccessKeyKey" -}}
{{- if .Values.s3.existingSecret -}}{{ .Values.s3.existingSecretAccessKeyKey }}{{- else -}}s3-access-key{{- end -}}
{{- end -}}

{{- define "packyard.s3SecretKeyKey" -}}
{{- if .Values.s3.existingSecret -}}{{ .Values.s3.existingSecretSecretKeyKey }}{{- else -}}s3-secret-key{{- end -}}
{{- end -}}

{{/* Whether the chart's Secret holds the NATS passwords (nats.passwords, no existingSecret). */}}
{{- define "packyard.natsPasswordsInSecret" -}}
{{- $p := .Values.nats.passwords -}}
{{- if and (not .Values.nats.existingSecret) (or $p.metadata $p.gateway) -}}true{{- end -}}
{{- end -}}

{{/* Whether the services connect to NATS with a user and password. */}}
{{- define "packyard.natsCredentials" -}}
{{- if or .Values.nats.existingSecret (include "packyard.natsPasswordsInSecret" .) -}}true{{- end -}}
{{- end -}}

{{/* Whether the chart creates a Secret at all. */}}
{{- define "packyard.createSecret" -}}
{{- if or (not .Values.postgres.existingSecret) (not .Values.s3.existingSecret) (include "packyard.natsPasswordsInSecret" .) -}}true{{- end -}}
{{- end -}}

{{/* env entry for the database URL. */}}
{{- define "packyard.databaseUrlEnv" -}}
- name: PACKYARD_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "packyard.postgresSecretName" . }}
      key: {{ include "packyard.postgresSecretKey" . }}
{{- end -}}

{{/* Pod annotations that roll the pods when settings or credentials change. */}}
{{- define "packyard.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

{{/* The Secret with a component's mTLS material (ca.crt, tls.crt, tls.key):
packyard.tlsSecretName (dict "root" $ "component" "gateway"). */}}
{{- define "packyard.tlsSecretName" -}}
{{- $tls := .root.Values.tls -}}
{{- if $tls.certManager.enabled -}}
{{- printf "%s-tls" (include "packyard.componentName" .) | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- required (printf "gRPC needs mutual TLS: set tls.certManager.enabled or tls.existingSecret.%s" .component) (index $tls.existingSecret .component) -}}
{{- end -}}
{{- end -}}

{{/* NetworkPolicy egress rule for DNS (any resolver, UDP and TCP 53). */}}
{{- define "packyard.np.dns" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}

{{/* NetworkPolicy pieces: a component's pods as peer, a port list, an engine rule, a gRPC edge. */}}
{{- define "packyard.np.peer" -}}
- podSelector:
    matchLabels:
      {{- include "packyard.selectorLabels" .root | nindent 6 }}
      app.kubernetes.io/component: {{ .component }}
{{- end -}}
{{- define "packyard.np.ports" -}}
{{- $out := list -}}
{{- range .ports -}}
{{- $out = append $out (dict "port" . "protocol" "TCP") -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}
{{- define "packyard.np.engines" -}}
{{- if .to }}
- to:
    {{- toYaml .to | nindent 4 }}
  ports:
    {{- include "packyard.np.ports" . | nindent 4 }}
{{- else }}
- ports:
    {{- include "packyard.np.ports" . | nindent 4 }}
{{- end }}
{{- end -}}
{{- define "packyard.np.grpc" -}}
- to:
    {{- include "packyard.np.peer" (dict "root" .root "component" .component) | nindent 4 }}
  ports:
    - port: {{ (index .root.Values .component).port }}
      protocol: TCP
{{- end -}}
