{{/* The prefix of every object's name: the release name, with the chart's name when it lacks it. */}}
{{- define "pullmedic.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of a component's objects; also its selector, so kept to what never changes. */}}
{{- define "pullmedic.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "pullmedic.image" -}}
{{- $v := .Values.image -}}
{{- $repo := ternary $v.repository (printf "%s/%s" $v.registry $v.repository) (empty $v.registry) -}}
{{- $ref := printf "%s:%s" $repo ($v.tag | default .Chart.AppVersion) -}}
{{- if $v.digest }}{{ printf "%s@%s" $ref $v.digest }}{{ else }}{{ $ref }}{{ end -}}
{{- end -}}

{{/* The shared token's Secret (auth.mode token only): always one the user made. */}}
{{- define "pullmedic.tokenSecret" -}}
{{- required "auth.mode token needs auth.token.existingSecret: a Secret you made with a `token` key (the chart never renders a credential)" .Values.auth.token.existingSecret -}}
{{- end -}}

{{/* Whether the agent ⇄ aggregator stream is TLS, and the names of the aggregator's TLS Secret and published CA. */}}
{{- define "pullmedic.tls" -}}
{{- $mode := .Values.aggregator.tls.mode -}}
{{- $name := printf "%s-aggregator" (include "pullmedic.fullname" .) -}}
{{- dict "on" (ne $mode "plaintext") "mode" $mode "secret" (printf "%s-tls" $name) "caConfigMap" (printf "%s-ca" $name) | toJson -}}
{{- end -}}

{{- define "pullmedic.aggregatorAddress" -}}
{{- printf "%s-aggregator.%s.svc:%v" (include "pullmedic.fullname" .) .Release.Namespace .Values.aggregator.grpcPort -}}
{{- end -}}

{{/*
The runtime preset's paths (docs/facts/runtime-paths.md), each overridable: the socket, the
directory that holds it (mounted, not the socket: a restarted runtime makes a new socket) and the
runtime's root. Its registry configuration is read through /proc/<pid>/root instead.
*/}}
{{- define "pullmedic.runtime" -}}
{{- $presets := dict
  "containerd" (dict "socket" "/run/containerd/containerd.sock" "root" "/var/lib/containerd")
  "k3s" (dict "socket" "/run/k3s/containerd/containerd.sock" "root" "/var/lib/rancher/k3s/agent/containerd")
  "rke2" (dict "socket" "/run/k3s/containerd/containerd.sock" "root" "/var/lib/rancher/rke2/agent/containerd")
  "microk8s" (dict "socket" "/var/snap/microk8s/common/run/containerd.sock" "root" "/var/snap/microk8s/common/var/lib/containerd")
  "k0s" (dict "socket" "/run/k0s/containerd.sock" "root" "/var/lib/k0s/containerd")
  "crio" (dict "socket" "/var/run/crio/crio.sock" "root" "/var/lib/containers")
-}}
{{- $r := .Values.runtime -}}
{{- $p := get $presets $r.preset -}}
{{- $socket := $r.socket | default $p.socket | trimPrefix "unix://" -}}
{{- dict "socket" $socket "socketDir" (dir $socket) "root" ($r.root | default $p.root) | toJson -}}
{{- end -}}

{{- define "pullmedic.scrapeAnnotations" -}}
{{- if .root.Values.monitoring.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{/*
The aggregator's database and how many replicas share it. SQLite is one file on a ReadWriteOnce
volume with one writer, so one replica; PostgreSQL is shared by every replica (2 unless told). The
DSN is never a value: it is read from a Secret the user made, mounted as a file.
*/}}
{{- define "pullmedic.aggregatorDatabase" -}}
{{- $a := .Values.aggregator -}}
{{- $pg := eq $a.database.engine "postgres" -}}
{{- $replicas := $a.replicas | default (ternary 2 1 $pg) | int -}}
{{- if and (not $pg) (gt $replicas 1) -}}
{{- fail (printf "aggregator.replicas %d needs aggregator.database.engine postgres: SQLite is one file on a ReadWriteOnce volume with one writer, so one replica" $replicas) -}}
{{- end -}}
{{- $secret := "" -}}
{{- if $pg -}}
{{- $secret = required "aggregator.database.engine postgres needs aggregator.database.postgres.existingSecret: a Secret you made whose key (aggregator.database.postgres.key, default dsn) holds the postgres:// URL (the chart never renders a credential)" $a.database.postgres.existingSecret -}}
{{- end -}}
{{- dict "postgres" $pg "replicas" $replicas "secret" $secret "key" $a.database.postgres.key | toJson -}}
{{- end -}}
