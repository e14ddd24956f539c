"""Builders for every object family, parameterised so incidents can vary them."""
from model import *  # noqa: F401,F403
from model import (CLUSTERS, CL, NODES, CNPG_IMAGE, CNPG_VERSION, PLUGIN_IMAGE, SIDECAR_IMAGE, PLUGIN_NAME,
                   PLUGIN_VERSION, FLUX_VERSION, FLUX_CONTROLLERS, GIT_URL, INSTALLED, CNPG_INSTALLED,
                   PLUGIN_INSTALLED, PLUGIN_UPGRADED, CNPG_UPGRADED, OPERATOR_POD_START, REV_HEAD, REV_PREV,
                   REV_PLUGIN, REV_OPERATOR, COMMIT_HEAD, COMMIT_PREV, lsn_at, wal_name, lsn_str, pod_ip,
                   deployment_set, make_pod, namespace, service, service_account, event, api_access_volume,
                   running_status, pod_conditions, rev)
from common import (at, ts, tsn, hexs, uid, safe, b64, fake_pem, containerd, image_id, obj, owner_ref, cond,
                    flux_labels, jline, deep, ANCHOR, ref)
import datetime as dt

SEC = dt.timedelta(seconds=1)

# ---------------------------------------------------------------------------
# cnpg-system: operator


def operator_pod_spec(image=CNPG_IMAGE):
    return {
        "containers": [{
            "args": ["controller", "--leader-elect", "--max-concurrent-reconciles=10",
                     "--config-map-name=cnpg-controller-manager-config",
                     "--secret-name=cnpg-controller-manager-config", "--webhook-port=9443"],
            "command": ["/manager"],
            "env": [{"name": "OPERATOR_IMAGE_NAME", "value": image},
                    {"name": "OPERATOR_NAMESPACE",
                     "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
                    {"name": "MONITORING_QUERIES_CONFIGMAP", "value": "cnpg-default-monitoring"}],
            "image": image, "imagePullPolicy": "IfNotPresent",
            "livenessProbe": {"failureThreshold": 3, "httpGet": {"path": "/readyz", "port": 9443, "scheme": "HTTPS"},
                              "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
            "name": "manager",
            "ports": [{"containerPort": 8080, "name": "metrics", "protocol": "TCP"},
                      {"containerPort": 9443, "name": "webhook-server", "protocol": "TCP"}],
            "readinessProbe": {"failureThreshold": 3,
                               "httpGet": {"path": "/readyz", "port": 9443, "scheme": "HTTPS"},
                               "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
            "resources": {"limits": {"cpu": "100m", "memory": "200Mi"}, "requests": {"cpu": "100m", "memory": "100Mi"}},
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                "readOnlyRootFilesystem": True, "runAsGroup": 10001, "runAsUser": 10001,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "volumeMounts": [{"mountPath": "/controller", "name": "scratch-data"},
                             {"mountPath": "/run/secrets/cnpg.io/webhook", "name": "webhook-certificates"}],
        }],
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "serviceAccountName": "cnpg-manager",
        "terminationGracePeriodSeconds": 10,
        "volumes": [{"emptyDir": {}, "name": "scratch-data"},
                    {"name": "webhook-certificates",
                     "secret": {"defaultMode": 420, "optional": True, "secretName": "cnpg-webhook-cert"}}],
    }


OPERATOR_LABELS = {"app.kubernetes.io/name": "cloudnative-pg"}


def operator_objects():
    dep, rs, pod = deployment_set(
        "cnpg-controller-manager", "cnpg-system",
        dep_labels=dict(OPERATOR_LABELS, **flux_labels("infrastructure-cnpg-operator")),
        selector=OPERATOR_LABELS, template_labels=OPERATOR_LABELS, pod_spec=operator_pod_spec(),
        created=CNPG_INSTALLED, rs_created=CNPG_UPGRADED, pod_start=OPERATOR_POD_START, generation=6, revision=6,
        node=0, ip_n=37, hash_seed="operator-1.30.0", qos="Burstable")
    return dep, rs, pod


# ---------------------------------------------------------------------------
# cnpg-system: Barman Cloud plugin

PLUGIN_SECRET = "plugin-barman-cloud-" + safe("sidecar-secret-v0.14.0", 10)
PLUGIN_SVC_IP = "10.96.118.42"
PLUGIN_LABELS = {"app": "barman-cloud"}


def plugin_pod_spec(memory_limit="256Mi", memory_request="128Mi"):
    return {
        "containers": [{
            "args": ["operator", "--server-cert=/server/tls.crt", "--server-key=/server/tls.key",
                     "--client-cert=/client/tls.crt", "--server-address=:9090", "--leader-elect",
                     "--log-level=debug"],
            "env": [{"name": "SIDECAR_IMAGE",
                     "valueFrom": {"secretKeyRef": {"key": "SIDECAR_IMAGE", "name": PLUGIN_SECRET}}}],
            "image": PLUGIN_IMAGE, "imagePullPolicy": "IfNotPresent", "name": "barman-cloud",
            "ports": [{"containerPort": 9090, "protocol": "TCP"}],
            "readinessProbe": {"failureThreshold": 3, "initialDelaySeconds": 10, "periodSeconds": 10,
                               "successThreshold": 1, "tcpSocket": {"port": 9090}, "timeoutSeconds": 1},
            "resources": {"limits": {"memory": memory_limit}, "requests": {"cpu": "50m", "memory": memory_request}},
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                "readOnlyRootFilesystem": True, "runAsGroup": 10001, "runAsUser": 10001,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "volumeMounts": [{"mountPath": "/server", "name": "server"}, {"mountPath": "/client", "name": "client"}],
        }],
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "serviceAccountName": "plugin-barman-cloud",
        "volumes": [{"name": "server", "secret": {"defaultMode": 420, "secretName": "barman-cloud-server-tls"}},
                    {"name": "client", "secret": {"defaultMode": 420, "secretName": "barman-cloud-client-tls"}}],
    }


PLUGIN_POD_START = PLUGIN_UPGRADED + dt.timedelta(seconds=6)


def plugin_objects():
    dep, rs, pod = deployment_set(
        "barman-cloud", "cnpg-system",
        dep_labels=dict(PLUGIN_LABELS, **flux_labels("infrastructure-cnpg-barman-plugin")),
        selector=PLUGIN_LABELS, template_labels=PLUGIN_LABELS, pod_spec=plugin_pod_spec(),
        created=PLUGIN_INSTALLED, rs_created=PLUGIN_UPGRADED, pod_start=PLUGIN_POD_START, generation=3, revision=3,
        node=1, ip_n=52, strategy={"type": "Recreate"}, hash_seed="plugin-v0.14.0-256Mi")
    svc = service("barman-cloud", "cnpg-system", PLUGIN_INSTALLED, PLUGIN_SVC_IP,
                  [{"port": 9090, "protocol": "TCP", "targetPort": 9090}], PLUGIN_LABELS,
                  labels=dict({"app": "barman-cloud", "cnpg.io/pluginName": PLUGIN_NAME},
                              **flux_labels("infrastructure-cnpg-barman-plugin")),
                  annotations={"cnpg.io/pluginClientSecret": "barman-cloud-client-tls",
                               "cnpg.io/pluginPort": "9090",
                               "cnpg.io/pluginServerSecret": "barman-cloud-server-tls"})
    sa = service_account("plugin-barman-cloud", "cnpg-system", PLUGIN_INSTALLED,
                         labels=flux_labels("infrastructure-cnpg-barman-plugin"))
    sidecar_secret = obj("v1", "Secret", PLUGIN_SECRET, "cnpg-system", created=PLUGIN_UPGRADED - 4 * SEC,
                         labels=flux_labels("infrastructure-cnpg-barman-plugin"),
                         data={"SIDECAR_IMAGE": b64(SIDECAR_IMAGE)}, type="Opaque")
    return dep, rs, pod, svc, sa, sidecar_secret


CERT_NOT_BEFORE = dt.datetime(2026, 10, 21, 13, 5, 11, tzinfo=dt.timezone.utc)
CERT_NOT_AFTER = CERT_NOT_BEFORE + dt.timedelta(hours=2160)
CERT_RENEWAL = CERT_NOT_AFTER - dt.timedelta(hours=360)


def cert_manager_objects():
    fl = flux_labels("infrastructure-cnpg-barman-plugin")
    issuer = obj("cert-manager.io/v1", "Issuer", "selfsigned-issuer", "cnpg-system", created=PLUGIN_INSTALLED,
                 labels=fl, generation=1, spec={"selfSigned": {}},
                 status={"conditions": [{"lastTransitionTime": ts(PLUGIN_INSTALLED + 1 * SEC), "observedGeneration": 1,
                                         "reason": "IsReady", "status": "True", "type": "Ready"}]})
    certs, secrets = [], []
    for who, usage, extra in (("client", "client auth", {"commonName": "barman-cloud-client"}),
                              ("server", "server auth", {"commonName": "barman-cloud", "dnsNames": ["barman-cloud"]})):
        name = f"barman-cloud-{who}"
        spec = dict(extra, duration="2160h0m0s", isCA=False,
                    issuerRef={"group": "cert-manager.io", "kind": "Issuer", "name": "selfsigned-issuer"},
                    renewBefore="360h0m0s", secretName=f"{name}-tls", usages=[usage])
        certs.append(obj("cert-manager.io/v1", "Certificate", name, "cnpg-system", created=PLUGIN_INSTALLED,
                         labels=fl, generation=1, spec=spec,
                         status={"conditions": [{"lastTransitionTime": ts(CERT_NOT_BEFORE + 2 * SEC),
                                                 "message": "Certificate is up to date and has not expired",
                                                 "observedGeneration": 1, "reason": "Ready", "status": "True",
                                                 "type": "Ready"}],
                                 "notAfter": ts(CERT_NOT_AFTER), "notBefore": ts(CERT_NOT_BEFORE),
                                 "renewalTime": ts(CERT_RENEWAL), "revision": 4}))
        secrets.append(obj("v1", "Secret", f"{name}-tls", "cnpg-system", created=PLUGIN_INSTALLED + 2 * SEC,
                           labels={"controller.cert-manager.io/fao": "true"},
                           annotations={"cert-manager.io/alt-names": "barman-cloud" if who == "server" else "",
                                        "cert-manager.io/certificate-name": name,
                                        "cert-manager.io/common-name": spec["commonName"],
                                        "cert-manager.io/ip-sans": "", "cert-manager.io/issuer-group": "cert-manager.io",
                                        "cert-manager.io/issuer-kind": "Issuer",
                                        "cert-manager.io/issuer-name": "selfsigned-issuer", "cert-manager.io/uri-sans": ""},
                           data={"ca.crt": fake_pem("CERTIFICATE", f"{name}-ca"),
                                 "tls.crt": fake_pem("CERTIFICATE", name),
                                 "tls.key": fake_pem("PRIVATE KEY", name)},
                           type="kubernetes.io/tls"))
    return issuer, certs, secrets


def cnpg_support_objects():
    fl = flux_labels("infrastructure-cnpg-operator")
    sa = service_account("cnpg-manager", "cnpg-system", CNPG_INSTALLED, labels=fl)
    webhook = service("cnpg-webhook-service", "cnpg-system", CNPG_INSTALLED, "10.96.40.117",
                      [{"port": 443, "protocol": "TCP", "targetPort": 9443}], OPERATOR_LABELS, labels=fl)
    cm = obj("v1", "ConfigMap", "cnpg-default-monitoring", "cnpg-system", created=CNPG_INSTALLED,
             labels=dict({"cnpg.io/reload": ""}, **fl),
             data={"queries": "backends:\n  query: |\n    SELECT sa.datname, sa.usename, sa.application_name, states.state, COALESCE(sa.count, 0) AS total\n    FROM ( VALUES ('active'), ('idle'), ('idle in transaction') ) AS states(state)\n    LEFT JOIN (SELECT datname, state, usename, COALESCE(application_name, '') AS application_name, COUNT(*)\n      FROM pg_catalog.pg_stat_activity GROUP BY datname, state, usename, application_name) sa ON states.state = sa.state\n  metrics:\n    - datname: {usage: LABEL}\n    - total: {usage: GAUGE}\n# (truncated in the simulation)\n"})
    return sa, webhook, cm


# ---------------------------------------------------------------------------
# flux-system


def flux_controller(name, created_rs, pod_start, node, ip_n):
    version = FLUX_CONTROLLERS[name]
    image = f"ghcr.io/fluxcd/{name}:{version}"
    pod_labels = {"app": name, "app.kubernetes.io/component": name, "app.kubernetes.io/instance": "flux-system",
                  "app.kubernetes.io/part-of": "flux"}
    dep_labels = {"app.kubernetes.io/component": name, "app.kubernetes.io/instance": "flux-system",
                  "app.kubernetes.io/part-of": "flux", "app.kubernetes.io/version": FLUX_VERSION,
                  "control-plane": "controller", **flux_labels("flux-system")}
    args = ["--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
            "--watch-all-namespaces=true", "--log-level=info", "--log-encoding=json", "--enable-leader-election"]
    ports = [{"containerPort": 8080, "name": "http-prom", "protocol": "TCP"},
             {"containerPort": 9440, "name": "healthz", "protocol": "TCP"}]
    if name == "source-controller":
        args = args + ["--storage-path=/data", "--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local."]
        ports = [{"containerPort": 9090, "name": "http", "protocol": "TCP"}] + ports
    if name == "notification-controller":
        args = [a for a in args if not a.startswith("--events-addr")]
        ports = [{"containerPort": 9090, "name": "http", "protocol": "TCP"},
                 {"containerPort": 9292, "name": "http-webhook", "protocol": "TCP"}] + ports
    spec = {
        "containers": [{
            "args": args,
            "env": [{"name": "RUNTIME_NAMESPACE",
                     "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
                    {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"containerName": "manager", "divisor": "0",
                                                                              "resource": "limits.cpu"}}},
                    {"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"containerName": "manager", "divisor": "0",
                                                                              "resource": "limits.memory"}}}],
            "image": image, "imagePullPolicy": "IfNotPresent",
            "livenessProbe": {"failureThreshold": 3, "httpGet": {"path": "/healthz", "port": "healthz", "scheme": "HTTP"},
                              "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
            "name": "manager", "ports": ports,
            "readinessProbe": {"failureThreshold": 3, "httpGet": {"path": "/readyz", "port": "healthz", "scheme": "HTTP"},
                               "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "volumeMounts": [{"mountPath": "/tmp", "name": "temp"}] + (
                [{"mountPath": "/data", "name": "data"}] if name == "source-controller" else []),
        }],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "priorityClassName": "system-cluster-critical",
        "securityContext": {"fsGroup": 1337},
        "serviceAccountName": name,
        "terminationGracePeriodSeconds": 60 if name != "source-controller" else 10,
        "volumes": [{"emptyDir": {}, "name": "temp"}] + (
            [{"emptyDir": {}, "name": "data"}] if name == "source-controller" else []),
    }
    dep, rs, pod = deployment_set(name, "flux-system", dep_labels=dep_labels, selector={"app": name},
                                  template_labels=pod_labels, pod_spec=spec, created=INSTALLED, rs_created=created_rs,
                                  pod_start=pod_start, generation=4, revision=4, node=node, ip_n=ip_n,
                                  template_annotations={"prometheus.io/port": "8080", "prometheus.io/scrape": "true"},
                                  hash_seed=f"flux-{name}-{version}")
    pod["spec"]["priority"] = 2000000000
    return dep, rs, pod


def flux_objects():
    out = []
    starts = {"source-controller": (0, 11), "kustomize-controller": (1, 12), "helm-controller": (2, 13),
              "notification-controller": (0, 14)}
    upgraded = dt.datetime(2026, 10, 28, 7, 55, 2, tzinfo=dt.timezone.utc)
    for name, (node, ip_n) in starts.items():
        pod_start = upgraded + dt.timedelta(seconds=5 + ip_n)
        if name == "source-controller":   # drained with the operator this morning
            pod_start = OPERATOR_POD_START + 7 * SEC
        out += list(flux_controller(name, upgraded, pod_start, node, ip_n))
        out.append(service_account(name, "flux-system", INSTALLED,
                                   labels={"app.kubernetes.io/component": name, "app.kubernetes.io/instance": "flux-system",
                                           "app.kubernetes.io/part-of": "flux", "app.kubernetes.io/version": FLUX_VERSION,
                                           **flux_labels("flux-system")}))
    common_labels = {"app.kubernetes.io/instance": "flux-system", "app.kubernetes.io/part-of": "flux",
                     "app.kubernetes.io/version": FLUX_VERSION, "control-plane": "controller",
                     **flux_labels("flux-system")}
    out.append(service("source-controller", "flux-system", INSTALLED, "10.96.201.14",
                       [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
                       {"app": "source-controller"}, labels=dict(common_labels, **{"app.kubernetes.io/component": "source-controller"})))
    out.append(service("notification-controller", "flux-system", INSTALLED, "10.96.201.15",
                       [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
                       {"app": "notification-controller"},
                       labels=dict(common_labels, **{"app.kubernetes.io/component": "notification-controller"})))
    out.append(service("webhook-receiver", "flux-system", INSTALLED, "10.96.201.16",
                       [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http-webhook"}],
                       {"app": "notification-controller"},
                       labels=dict(common_labels, **{"app.kubernetes.io/component": "notification-controller"})))
    out.append(obj("v1", "Secret", "flux-system", "flux-system", created=INSTALLED - 20 * SEC,
                   data={"identity": fake_pem("OPENSSH PRIVATE KEY", "flux-system-deploy-key"),
                         "identity.pub": b64("ecdsa-sha2-nistp384 AAAAFAKEPUBLICKEYFORSIMULATIONONLY flux-system\n"),
                         "known_hosts": b64("github.com ecdsa-sha2-nistp256 AAAAFAKEKNOWNHOSTFORSIMULATIONONLY\n")},
                   type="Opaque"))
    return out


def gitrepository(revision, commit_msg, commit_time, generation=1):
    sha = revision.split(":")[1]
    return obj("source.toolkit.fluxcd.io/v1", "GitRepository", "flux-system", "flux-system", created=INSTALLED,
               labels=flux_labels("flux-system"), generation=generation, finalizers=["finalizers.fluxcd.io"],
               spec={"interval": "1m0s", "ref": {"branch": "main"}, "secretRef": {"name": "flux-system"},
                     "timeout": "60s", "url": GIT_URL},
               status={"artifact": {"digest": "sha256:" + hexs("artifact:" + sha),
                                    "lastUpdateTime": ts(commit_time + 38 * SEC),
                                    "path": f"gitrepository/flux-system/flux-system/{sha}.tar.gz",
                                    "revision": revision, "size": 148213,
                                    "url": f"http://source-controller.flux-system.svc.cluster.local./gitrepository/flux-system/flux-system/{sha}.tar.gz"},
                       "conditions": [
                           cond("Ready", "True", "Succeeded", f"stored artifact for revision '{revision}'",
                                commit_time + 38 * SEC, observedGeneration=generation),
                           cond("ArtifactInStorage", "True", "Succeeded", f"stored artifact for revision '{revision}'",
                                commit_time + 38 * SEC, observedGeneration=generation)],
                       "observedGeneration": generation})


# Kustomizations ------------------------------------------------------------

def inv(ns, name, group, kind, v="v1"):
    return {"id": f"{ns}_{name.replace(':', '__')}_{group}_{kind}", "v": v}


def flux_inventory():
    e = []
    for crd in ["alerts.notification.toolkit.fluxcd.io", "buckets.source.toolkit.fluxcd.io",
                "externalartifacts.source.toolkit.fluxcd.io", "gitrepositories.source.toolkit.fluxcd.io",
                "helmcharts.source.toolkit.fluxcd.io", "helmreleases.helm.toolkit.fluxcd.io",
                "helmrepositories.source.toolkit.fluxcd.io", "kustomizations.kustomize.toolkit.fluxcd.io",
                "ocirepositories.source.toolkit.fluxcd.io", "providers.notification.toolkit.fluxcd.io",
                "receivers.notification.toolkit.fluxcd.io"]:
        e.append(inv("", crd, "apiextensions.k8s.io", "CustomResourceDefinition"))
    e.append(inv("", "flux-system", "", "Namespace"))
    for n in ["crd-controller-flux-system", "flux-edit-flux-system", "flux-view-flux-system"]:
        e.append(inv("", n, "rbac.authorization.k8s.io", "ClusterRole"))
    for n in ["cluster-reconciler-flux-system", "crd-controller-flux-system"]:
        e.append(inv("", n, "rbac.authorization.k8s.io", "ClusterRoleBinding"))
    e.append(inv("flux-system", "critical-pods-flux-system", "", "ResourceQuota"))
    for n in FLUX_CONTROLLERS:
        e.append(inv("flux-system", n, "", "ServiceAccount"))
    for n in ["notification-controller", "source-controller", "webhook-receiver"]:
        e.append(inv("flux-system", n, "", "Service"))
    for n in FLUX_CONTROLLERS:
        e.append(inv("flux-system", n, "apps", "Deployment"))
    for n in ["allow-egress", "allow-scraping", "allow-webhooks"]:
        e.append(inv("flux-system", n, "networking.k8s.io", "NetworkPolicy"))
    for n in ["apps-postgresql", "flux-system", "infrastructure-cnpg-barman-plugin", "infrastructure-cnpg-operator"]:
        e.append(inv("flux-system", n, "kustomize.toolkit.fluxcd.io", "Kustomization"))
    e.append(inv("flux-system", "flux-system", "source.toolkit.fluxcd.io", "GitRepository"))
    return e


def operator_inventory():
    e = [inv("", "cnpg-system", "", "Namespace")]
    for p in ["backups", "clusterimagecatalogs", "clusters", "databases", "failoverquorums", "imagecatalogs",
              "poolers", "publications", "scheduledbackups", "subscriptions"]:
        e.append(inv("", f"{p}.postgresql.cnpg.io", "apiextensions.k8s.io", "CustomResourceDefinition"))
    e += [inv("", "cnpg-manager", "rbac.authorization.k8s.io", "ClusterRole"),
          inv("", "cnpg-manager-rolebinding", "rbac.authorization.k8s.io", "ClusterRoleBinding"),
          inv("", "cnpg-mutating-webhook-configuration", "admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
          inv("", "cnpg-validating-webhook-configuration", "admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
          inv("cnpg-system", "cnpg-manager", "", "ServiceAccount"),
          inv("cnpg-system", "cnpg-default-monitoring", "", "ConfigMap"),
          inv("cnpg-system", "cnpg-webhook-service", "", "Service"),
          inv("cnpg-system", "cnpg-controller-manager", "apps", "Deployment")]
    return e


def plugin_inventory():
    e = [inv("", "objectstores.barmancloud.cnpg.io", "apiextensions.k8s.io", "CustomResourceDefinition")]
    for n in ["barman-plugin-metrics-auth-role", "barman-plugin-metrics-reader", "barman-plugin-objectstore-editor-role",
              "barman-plugin-objectstore-viewer-role", "plugin-barman-cloud"]:
        e.append(inv("", n, "rbac.authorization.k8s.io", "ClusterRole"))
    for n in ["barman-plugin-metrics-auth-rolebinding", "plugin-barman-cloud-binding"]:
        e.append(inv("", n, "rbac.authorization.k8s.io", "ClusterRoleBinding"))
    e += [inv("cnpg-system", "plugin-barman-cloud", "", "ServiceAccount"),
          inv("cnpg-system", "barman-plugin-leader-election-role", "rbac.authorization.k8s.io", "Role"),
          inv("cnpg-system", "barman-plugin-leader-election-rolebinding", "rbac.authorization.k8s.io", "RoleBinding"),
          inv("cnpg-system", PLUGIN_SECRET, "", "Secret"),
          inv("cnpg-system", "barman-cloud", "", "Service"),
          inv("cnpg-system", "barman-cloud", "apps", "Deployment"),
          inv("cnpg-system", "barman-cloud-client", "cert-manager.io", "Certificate"),
          inv("cnpg-system", "barman-cloud-server", "cert-manager.io", "Certificate"),
          inv("cnpg-system", "selfsigned-issuer", "cert-manager.io", "Issuer")]
    return e


def apps_inventory(skip_stores=()):
    e = [inv("", c["ns"], "", "Namespace") for c in CLUSTERS]
    for c in CLUSTERS:
        if c["store"] not in skip_stores:
            e.append(inv(c["ns"], c["store"], "barmancloud.cnpg.io", "ObjectStore"))
        e.append(inv(c["ns"], c["name"], "postgresql.cnpg.io", "Cluster"))
        e.append(inv(c["ns"], c["sb"], "postgresql.cnpg.io", "ScheduledBackup"))
    return e


KS_SPECS = {
    "flux-system": dict(created=INSTALLED, generation=1, spec={
        "interval": "10m0s", "path": "./clusters/production", "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}),
    "infrastructure-cnpg-operator": dict(created=CNPG_INSTALLED - 40 * SEC, generation=2, spec={
        "healthChecks": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "cnpg-controller-manager",
                          "namespace": "cnpg-system"}],
        "interval": "1h0m0s", "path": "./infrastructure/cnpg-operator", "prune": True, "retryInterval": "2m0s",
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "timeout": "5m0s"}),
    "infrastructure-cnpg-barman-plugin": dict(created=PLUGIN_INSTALLED - 35 * SEC, generation=1, spec={
        "dependsOn": [{"name": "infrastructure-cnpg-operator"}],
        "healthChecks": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "barman-cloud",
                          "namespace": "cnpg-system"}],
        "interval": "1h0m0s", "path": "./infrastructure/cnpg-barman-plugin", "prune": True,
        "retryInterval": "2m0s", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "timeout": "5m0s"}),
    "apps-postgresql": dict(created=dt.datetime(2026, 3, 18, 13, 58, 2, tzinfo=dt.timezone.utc), generation=3, spec={
        "dependsOn": [{"name": "infrastructure-cnpg-barman-plugin"}],
        "interval": "10m0s", "path": "./apps/postgresql", "prune": True, "retryInterval": "1m0s",
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "timeout": "5m0s"}),
}

KS_INVENTORY = {
    "flux-system": flux_inventory,
    "infrastructure-cnpg-operator": operator_inventory,
    "infrastructure-cnpg-barman-plugin": plugin_inventory,
    "apps-postgresql": apps_inventory,
}


def hist(name, digest_seed, revision, first, last, total, duration, status="ReconciliationSucceeded"):
    return {"digest": "sha256:" + hexs(f"digest:{name}:{digest_seed}"), "firstReconciled": ts(first),
            "lastReconciled": ts(last), "lastReconciledDuration": duration, "lastReconciledStatus": status,
            "metadata": {"revision": revision}, "totalReconciliations": total}


def kustomization(name, *, conditions, applied, attempted, history, inventory=None, handled=None, generation=None,
                  observed=None):
    s = KS_SPECS[name]
    gen = generation or s["generation"]
    annotations = {"reconcile.fluxcd.io/requestedAt": handled} if handled else None
    status = {"conditions": conditions, "history": history, "inventory": {"entries": inventory or KS_INVENTORY[name]()},
              "lastAppliedRevision": applied, "lastAttemptedRevision": attempted,
              "observedGeneration": observed if observed is not None else gen}
    if handled:
        status["lastHandledReconcileAt"] = handled
    return obj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", name, "flux-system", created=s["created"],
               labels=flux_labels("flux-system"), annotations=annotations, generation=gen,
               finalizers=["finalizers.fluxcd.io"], spec=deep(s["spec"]), status=status)


def ks_ready(revision, since, gen, healthy_since=None, health_checked=False):
    c = [cond("Ready", "True", "ReconciliationSucceeded", f"Applied revision: {revision}", since, observedGeneration=gen)]
    if health_checked:
        c.append(cond("Healthy", "True", "Succeeded", "Health check passed in 2.017416923s",
                      healthy_since or since, observedGeneration=gen))
    return c


# Healthy Flux status: when each Kustomization last reconciled (static, before the timeline takes over)
KS_LAST = {"flux-system": at(minutes=-3, seconds=-41), "infrastructure-cnpg-operator": at(minutes=-22, seconds=-9),
           "infrastructure-cnpg-barman-plugin": at(minutes=-21, seconds=-55), "apps-postgresql": at(minutes=-4, seconds=-12)}
HANDLED = {"flux-system": tsn(COMMIT_HEAD[1] + 61 * SEC, "h1"), "apps-postgresql": tsn(COMMIT_HEAD[1] + 63 * SEC, "h2"),
           "infrastructure-cnpg-barman-plugin": tsn(PLUGIN_UPGRADED - 10 * SEC, "h3"),
           "infrastructure-cnpg-operator": tsn(CNPG_UPGRADED - 9 * SEC, "h4")}


def healthy_history(name, last=None):
    last = last or KS_LAST[name]
    head_t = COMMIT_HEAD[1] + 62 * SEC
    if name == "apps-postgresql":
        return [hist(name, "head", REV_HEAD, head_t, last, 6, "1.812044539s"),
                hist(name, "prev", REV_PREV, COMMIT_PREV[1] + 70 * SEC, head_t - 60 * SEC, 427, "1.655210871s")]
    if name == "flux-system":
        return [hist(name, "v2.7.3", REV_HEAD, dt.datetime(2026, 10, 28, 7, 54, 48, tzinfo=dt.timezone.utc), last,
                     3809, "1.183620112s")]
    if name == "infrastructure-cnpg-operator":
        return [hist(name, "1.30.0", REV_HEAD, CNPG_UPGRADED + 11 * SEC, last, 1029, "2.608134411s"),
                hist(name, "1.29.2", REV_OPERATOR, dt.datetime(2026, 8, 4, 9, 2, 17, tzinfo=dt.timezone.utc),
                     CNPG_UPGRADED - 50 * SEC, 1652, "2.544813002s")]
    return [hist(name, "v0.14.0", REV_HEAD, PLUGIN_UPGRADED + 12 * SEC, last, 531, "2.312907745s"),
            hist(name, "v0.13.0", REV_PLUGIN, dt.datetime(2026, 9, 22, 12, 40, 3, tzinfo=dt.timezone.utc),
                 PLUGIN_UPGRADED - 70 * SEC, 983, "2.097316650s")]


def healthy_kustomization(name):
    s = KS_SPECS[name]
    since = {"flux-system": COMMIT_HEAD[1] + 61 * SEC, "apps-postgresql": COMMIT_HEAD[1] + 64 * SEC,
             "infrastructure-cnpg-operator": COMMIT_HEAD[1] + 66 * SEC,
             "infrastructure-cnpg-barman-plugin": COMMIT_HEAD[1] + 69 * SEC}[name]
    hc = "healthChecks" in s["spec"]
    healthy_since = {"infrastructure-cnpg-operator": OPERATOR_POD_START + 20 * SEC,
                     "infrastructure-cnpg-barman-plugin": PLUGIN_UPGRADED + 14 * SEC}.get(name)
    return kustomization(name, conditions=ks_ready(REV_HEAD, since, s["generation"], healthy_since, hc),
                         applied=REV_HEAD, attempted=REV_HEAD, history=healthy_history(name), handled=HANDLED[name])


# ---------------------------------------------------------------------------
# PostgreSQL clusters


def cluster_labels():
    return flux_labels("apps-postgresql")


def plugin_entry(c):
    params = {"barmanObjectName": c["store"]}
    if c["server_param"]:
        params["serverName"] = c["server_param"]
    return {"enabled": True, "isWALArchiver": True, "name": PLUGIN_NAME, "parameters": params}


def pod_names(c):
    return [f"{c['name']}-{i + 1}" for i in range(c["instances"])]


def plugin_status():
    return [{"capabilities": ["TYPE_RECONCILER_HOOKS", "TYPE_LIFECYCLE_SERVICE", "TYPE_INSTANCE_SIDECAR_INJECTION"],
             # The operator side serves only reconciler hooks and the lifecycle service.
             "name": PLUGIN_NAME, "version": PLUGIN_VERSION}]


def cluster_conditions(c, *, ready=True, ready_since=None, archiving=None, last_backup=None):
    """archiving / last_backup: (status, reason, message, since) or None for the healthy default."""
    created = c["created"]
    ready_since = ready_since or c["pod_start"] + dt.timedelta(minutes=4)
    arch = archiving or ("True", "ContinuousArchivingSuccess", "Continuous archiving is working",
                         c["pod_start"] + dt.timedelta(minutes=1))
    lb = last_backup or ("True", "LastBackupSucceeded", "Backup was successful", healthy_last_backup_transition(c))
    return [
        cond("Ready", "True" if ready else "False", "ClusterIsReady" if ready else "ClusterIsNotReady",
             "Cluster is Ready" if ready else "Cluster Is Not Ready", ready_since),
        cond("ContinuousArchiving", arch[0], arch[1], arch[2], arch[3]),
        cond("LastBackupSucceeded", lb[0], lb[1], lb[2], lb[3]),
    ]


def healthy_last_backup_transition(c):
    # LastBackupSucceeded flips to False/BackupStarted and back at every backup; True since the newest one ended
    b = week_plan(c)[-1]
    return b["stop"] + 2 * SEC


def cluster(c, *, phase="Cluster in healthy state", phase_reason=None, conditions=None, last_failed=None,
            generation=None, plugins=None, ready_instances=None):
    pods = pod_names(c)
    gen = generation or c["generation"]
    spec = {
        "affinity": {"podAntiAffinityType": "preferred"},
        "bootstrap": {"initdb": {"database": c["database"], "encoding": "UTF8", "localeCType": "C",
                                 "localeCollate": "C", "owner": c["owner"]}},
        "enablePDB": True, "enableSuperuserAccess": False, "failoverDelay": 0,
        "imageName": f"ghcr.io/cloudnative-pg/postgresql:{c['pg']}",
        "instances": c["instances"], "logLevel": "info", "maxSyncReplicas": 0, "minSyncReplicas": 0,
        "monitoring": {"customQueriesConfigMap": [{"key": "queries", "name": "cnpg-default-monitoring"}],
                       "disableDefaultQueries": False, "enablePodMonitor": True},
        "plugins": plugins if plugins is not None else [plugin_entry(c)],
        "postgresGID": 26, "postgresUID": 26,
        "postgresql": {"parameters": dict(c["params"]), "syncReplicaElectionConstraint": {"enabled": False}},
        "primaryUpdateMethod": "restart", "primaryUpdateStrategy": "unsupervised",
        "replicationSlots": {"highAvailability": {"enabled": True, "slotPrefix": "_cnpg_"}, "updateInterval": 30},
        "resources": deep(c["resources"]),
        "smartShutdownTimeout": 180, "startDelay": 3600, "stopDelay": 1800, "switchoverDelay": 3600,
        "storage": {"resizeInUseVolumes": True, "size": c["storage"], "storageClass": c["sc"]},
    }
    if c["wal"]:
        spec["walStorage"] = {"resizeInUseVolumes": True, "size": c["wal"], "storageClass": c["sc"]}
    primary_ts = {"pg-orders": dt.datetime(2026, 8, 27, 3, 12, 40, tzinfo=dt.timezone.utc),
                  "pg-billing": dt.datetime(2026, 10, 12, 8, 53, 5, tzinfo=dt.timezone.utc),
                  "pg-analytics": c["created"] + dt.timedelta(seconds=41)}[c["name"]]
    ready_n = c["instances"] if ready_instances is None else ready_instances
    status = {
        "cloudNativePGCommitHash": hexs("cnpg-commit-" + CNPG_VERSION, 8),
        "cloudNativePGOperatorHash": hexs("cnpg-operator-hash-" + CNPG_VERSION, 64),
        "conditions": conditions or cluster_conditions(c),
        "currentPrimary": c["primary"], "currentPrimaryTimestamp": tsn(primary_ts, c["name"]),
        "healthyPVC": sorted(pods + ([p + "-wal" for p in pods] if c["wal"] else [])),
        "image": f"ghcr.io/cloudnative-pg/postgresql:{c['pg']}",
        "instanceNames": pods, "instances": c["instances"],
        "instancesReportedState": {p: {"ip": pod_ip(c["nodes"][i], 60 + i + 10 * CLUSTERS.index(c)),
                                       "isPrimary": p == c["primary"], "timeLineID": c["tli"]}
                                   for i, p in enumerate(pods)},
        "instancesStatus": {"healthy": pods},
        "latestGeneratedNode": c["instances"], "managedRolesStatus": {},
        "phase": phase,
        "pluginStatus": plugin_status(),
        "poolerIntegrations": {"pgBouncerIntegration": {}},
        "pvcCount": len(pods) * (2 if c["wal"] else 1),
        "readService": f"{c['name']}-r", "readyInstances": ready_n,
        "switchReplicaClusterStatus": {}, "systemID": c["system_id"],
        "targetPrimary": c["primary"], "targetPrimaryTimestamp": tsn(primary_ts - 2 * SEC, c["name"]),
        "timelineID": c["tli"],
        "topology": {"instances": {p: {} for p in pods}, "nodesUsed": len(set(c["nodes"])),
                     "successfullyExtracted": True},
        "writeService": f"{c['name']}-rw",
    }
    if phase_reason:
        status["phaseReason"] = phase_reason
    if last_failed:
        status["lastFailedBackup"] = last_failed
    return obj("postgresql.cnpg.io/v1", "Cluster", c["name"], c["ns"], created=c["created"], labels=cluster_labels(),
               generation=gen, spec=spec, status=status)


# ObjectStores --------------------------------------------------------------

def objectstore_spec(c, variant=None):
    n = c["name"]
    if n == "pg-orders":
        conf = {"destinationPath": "s3://acme-prod-pg-backups/orders/",
                "s3Credentials": {"accessKeyId": {"key": "ACCESS_KEY_ID", "name": "pg-orders-s3-creds"},
                                  "region": {"key": "REGION", "name": "pg-orders-s3-creds"},
                                  "secretAccessKey": {"key": "ACCESS_SECRET_KEY", "name": "pg-orders-s3-creds"}},
                "tags": {"environment": "production", "team": "commerce"},
                "wal": {"compression": "gzip", "maxParallel": 4},
                "data": {"compression": "gzip", "jobs": 2}}
        if variant == "slow":
            conf["wal"] = {"compression": "gzip"}
            conf["data"] = {"jobs": 1}
        side = {"resources": {"limits": {"memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}},
                "retentionPolicyIntervalSeconds": 1800}
    elif n == "pg-billing":
        conf = {"destinationPath": "https://acmeprodpgbackups.blob.core.windows.net/billing",
                "azureCredentials": {"storageAccount": {"key": "AZURE_STORAGE_ACCOUNT", "name": "billing-azure-creds"},
                                     "storageKey": {"key": "AZURE_STORAGE_KEY", "name": "billing-azure-creds"}},
                "wal": {"compression": "snappy", "maxParallel": 2},
                "data": {"compression": "snappy", "jobs": 2}}
        side = {"retentionPolicyIntervalSeconds": 3600}
    else:
        conf = {"destinationPath": "s3://pg-analytics/",
                "endpointCA": {"key": "ca.crt", "name": "nas01-minio-ca"},
                "endpointURL": "https://s3.nas01.example.internal:9000",
                "s3Credentials": {"accessKeyId": {"key": "MINIO_ACCESS_KEY", "name": "analytics-minio-creds"},
                                  "secretAccessKey": {"key": "MINIO_SECRET_KEY", "name": "analytics-minio-creds"}},
                "wal": {"compression": "zstd", "maxParallel": 8},
                "data": {"compression": "gzip", "immediateCheckpoint": True, "jobs": 4}}
        side = {"env": [{"name": "AWS_REQUEST_CHECKSUM_CALCULATION", "value": "when_required"},
                        {"name": "AWS_RESPONSE_CHECKSUM_VALIDATION", "value": "when_required"}],
                "logLevel": "info", "retentionPolicyIntervalSeconds": 1800}
    return {"configuration": conf, "instanceSidecarConfiguration": side, "retentionPolicy": c["retention"]}


def objectstore(c, window, variant=None, generation=None):
    created = {"pg-orders": PLUGIN_INSTALLED + 45 * SEC, "pg-billing": dt.datetime(2026, 6, 16, 7, 58, 30, tzinfo=dt.timezone.utc),
               "pg-analytics": c["created"]}[c["name"]]
    return obj("barmancloud.cnpg.io/v1", "ObjectStore", c["store"], c["ns"], created=created, labels=cluster_labels(),
               generation=generation or (3 if variant == "slow" else 1), spec=objectstore_spec(c, variant),
               status={"serverRecoveryWindow": {c["server"]: window}})


def window(first, last_ok, last_failed=None):
    w = {"firstRecoverabilityPoint": ts(first), "lastSuccessfulBackupTime": ts(last_ok)}
    if last_failed:
        w["lastFailedBackupTime"] = ts(last_failed)
    return w


# credential Secrets (created by hand, not in Git) ------------------------------

def credential_secrets(c, variant=None):
    n = c["name"]
    if n == "pg-orders":
        secret_key = "fake/orders/SECRET/key/for/simulation/0001" if variant != "bad" else \
            "fake/orders/STALE/key/for/simulation/0000"
        return [obj("v1", "Secret", "pg-orders-s3-creds", "orders", created=dt.datetime(2026, 6, 15, 12, 51, 9, tzinfo=dt.timezone.utc),
                    data={"ACCESS_KEY_ID": b64("AKIAFAKEORDERS2ROTATED" if variant == "bad" else "AKIAFAKEORDERS0000001"),
                          "ACCESS_SECRET_KEY": b64(secret_key), "REGION": b64("eu-central-1")}, type="Opaque")]
    if n == "pg-billing":
        if variant == "missing-key":
            return [obj("v1", "Secret", "billing-azure-creds", "billing", created=at(hours=-1, minutes=-49, seconds=-27),
                        uid_key="billing-azure-creds-recreated",
                        data={"AZURE_STORAGE_ACCOUNT": b64("acmeprodpgbackups"),
                              "AZURE_STORAGE_SAS_TOKEN": b64("sv=2026-01-01&ss=b&srt=co&sp=rwdlac&sig=FAKE-SAS-FOR-SIMULATION")},
                        type="Opaque")]
        return [obj("v1", "Secret", "billing-azure-creds", "billing", created=dt.datetime(2026, 6, 16, 7, 55, 2, tzinfo=dt.timezone.utc),
                    data={"AZURE_STORAGE_ACCOUNT": b64("acmeprodpgbackups"),
                          "AZURE_STORAGE_KEY": b64("FAKE-AZURE-STORAGE-ACCOUNT-KEY-FOR-SIMULATION-ONLY==")},
                    type="Opaque")]
    return [obj("v1", "Secret", "analytics-minio-creds", "analytics", created=c["created"] - 300 * SEC,
                data={"MINIO_ACCESS_KEY": b64("analytics-backup"),
                      "MINIO_SECRET_KEY": b64("fake-minio-secret-for-simulation-only")}, type="Opaque"),
            obj("v1", "Secret", "nas01-minio-ca", "analytics", created=c["created"] - 290 * SEC,
                data={"ca.crt": fake_pem("CERTIFICATE", "nas01-internal-root-ca")}, type="Opaque")]


# ScheduledBackups & Backups ----------------------------------------------------

def scheduled_backup(c, last=None, nxt=None, schedule=None, generation=1):
    last = last or sched_time(c, 0)
    nxt = nxt or sched_time(c, 1)
    spec = {"backupOwnerReference": c["owner_ref"], "cluster": {"name": c["name"]}, "immediate": True,
            "method": "plugin", "pluginConfiguration": {"name": PLUGIN_NAME}, "schedule": schedule or c["schedule"],
            "suspend": False}
    if c["target"]:
        spec["target"] = c["target"]
    return obj("postgresql.cnpg.io/v1", "ScheduledBackup", c["sb"], c["ns"], created=c["sb_created"],
               labels=cluster_labels(), generation=generation, spec=spec,
               status={"lastCheckTime": ts(last), "lastScheduleTime": ts(last), "nextScheduleTime": ts(nxt)})


def sched_time(c, day):
    """Scheduled instant `day` days from today's run (0 = today's, which is before the anchor)."""
    return dt.datetime(2026, 11, 24, c["sched_h"], c["sched_m"], 0, tzinfo=dt.timezone.utc) + dt.timedelta(days=day)


def week_plan(c):
    """The 7 daily backups before the anchor: start/stop instants."""
    plan = []
    for d in range(-6, 1):
        t = sched_time(c, d)
        seed = int(hexs(f"dur:{c['name']}:{d}", 6), 16)
        lo, hi = c["dur"]
        dur = lo + seed % (hi - lo)
        start = t + dt.timedelta(seconds=3 + seed % 9)
        plan.append({"t": t, "start": start, "stop": start + dt.timedelta(seconds=dur), "day": d})
    return plan


def backup_name(c, t):
    return f"{c['sb']}-{t.strftime('%Y%m%d%H%M%S')}"


def plugin_metadata(c):
    return {"clusterUID": uid(f"postgresql.cnpg.io/v1/Cluster/{c['ns']}/{c['name']}"),
            "displayName": "BarmanCloudInstance", "name": PLUGIN_NAME, "pluginName": PLUGIN_NAME,
            "timeline": str(c["tli"]), "version": PLUGIN_VERSION}


def sb_obj_ref(c):
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup",
            "metadata": {"name": c["sb"], "namespace": c["ns"],
                         "uid": uid(f"postgresql.cnpg.io/v1/ScheduledBackup/{c['ns']}/{c['sb']}")}}


def instance_pod_container_id(c, pod):
    return containerd(f"{pod}postgres")


def backup(c, t, *, phase, start=None, stop=None, error=None, pod=None, name=None, scheduled=True, labels_extra=None):
    name = name or backup_name(c, t)
    pod = pod or c["backup_pod"]
    labels = {"cnpg.io/cluster": c["name"]}
    owner = None
    if scheduled:
        labels.update({"cnpg.io/immediateBackup": "false", "cnpg.io/scheduled-backup": c["sb"]})
        if c["owner_ref"] == "self":
            owner = owner_ref(sb_obj_ref(c))
    if labels_extra:
        labels.update(labels_extra)
    spec = {"cluster": {"name": c["name"]}, "method": "plugin", "pluginConfiguration": {"name": PLUGIN_NAME}}
    if c["target"] and scheduled:
        spec["target"] = c["target"]
    status = {"method": "plugin", "phase": phase, "reconciliationStartedAt": ts(t + 1 * SEC)}
    if phase in ("started", "running", "completed", "failed", "finalizing"):
        status["instanceID"] = {"ContainerID": instance_pod_container_id(c, pod), "podName": pod,
                                "sessionID": uid(f"session:{pod}:{c['pod_start']}")}
    if start:
        status["startedAt"] = ts(start)
        status["online"] = True
    if phase == "completed":
        begin = lsn_at(c, start)
        begin = (begin // SEG) * SEG + 0x28
        end = lsn_at(c, stop)
        # The plugin names the base backup itself (`backup-<compact timestamp>`, taken as the
        # command starts), not after the Backup object.
        status.update({"backupId": start.strftime("%Y%m%dT%H%M%S"),
                       "backupName": "backup-" + (start - 1 * SEC).strftime("%Y%m%d%H%M%S"),
                       "beginLSN": lsn_str(begin), "beginWal": wal_name(c["tli"], begin),
                       "endLSN": lsn_str(end), "endWal": wal_name(c["tli"], end),
                       "majorVersion": c["major"], "pluginMetadata": plugin_metadata(c),
                       "stoppedAt": ts(stop), "reconciliationTerminatedAt": ts(stop + 2 * SEC)})
    if phase == "failed":
        status["error"] = error
        status["reconciliationTerminatedAt"] = ts((stop or start or t) + 1 * SEC)
    return obj("postgresql.cnpg.io/v1", "Backup", name, c["ns"], created=t, labels=labels, owner=owner,
               generation=1, spec=spec, status=status)


# instance pods & friends -----------------------------------------------------------

def instance_pod(c, i, *, sidecar=True, extra_sidecar_env=None, pod_start=None):
    pods = pod_names(c)
    p = pods[i]
    node = c["nodes"][i]
    role = "primary" if p == c["primary"] else "replica"
    start = pod_start or c["pod_start"] + dt.timedelta(minutes=3 * i)
    base_env = [{"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
                {"name": "POD_NAME", "value": p}, {"name": "NAMESPACE", "value": c["ns"]},
                {"name": "CLUSTER_NAME", "value": c["name"]},
                {"name": "PSQL_HISTORY", "value": "/controller/tmp/.psql_history"},
                {"name": "PGPORT", "value": "5432"}, {"name": "PGHOST", "value": "/controller/run"},
                {"name": "TMPDIR", "value": "/controller/tmp"}]
    sec = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "privileged": False,
           "readOnlyRootFilesystem": True, "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    vol, kmount = api_access_volume(p)
    mounts = [{"mountPath": "/var/lib/postgresql/data", "name": "pgdata"}]
    if c["wal"]:
        mounts.append({"mountPath": "/var/lib/postgresql/wal", "name": "pg-wal"})
    mounts += [{"mountPath": "/run", "name": "scratch-data"}, {"mountPath": "/controller", "name": "scratch-data"},
               {"mountPath": "/dev/shm", "name": "shm"}]
    if sidecar:
        mounts.append({"mountPath": "/plugins", "name": "plugins"})
    mounts.append(kmount)
    probe = lambda path, thr: {"failureThreshold": thr, "httpGet": {"path": path, "port": 8000, "scheme": "HTTPS"},
                               "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 5}
    postgres = {
        "command": ["/controller/manager", "instance", "run", "--status-port-tls", "--log-level=info"],
        "env": base_env, "image": f"ghcr.io/cloudnative-pg/postgresql:{c['pg']}", "imagePullPolicy": "IfNotPresent",
        "livenessProbe": probe("/healthz", 3), "name": "postgres",
        "ports": [{"containerPort": 5432, "name": "postgresql", "protocol": "TCP"},
                  {"containerPort": 9187, "name": "metrics", "protocol": "TCP"},
                  {"containerPort": 8000, "name": "status", "protocol": "TCP"}],
        "readinessProbe": probe("/readyz", 3), "resources": deep(c["resources"]), "securityContext": sec,
        "startupProbe": probe("/startupz", 360), "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File", "volumeMounts": mounts,
    }
    init = [{"command": ["/manager", "bootstrap", "/controller/manager"], "image": CNPG_IMAGE,
             "imagePullPolicy": "IfNotPresent", "name": "bootstrap-controller", "resources": deep(c["resources"]),
             "securityContext": sec, "terminationMessagePath": "/dev/termination-log",
             "terminationMessagePolicy": "File",
             "volumeMounts": [{"mountPath": "/controller", "name": "scratch-data"}, kmount]}]
    side_spec = objectstore_spec(c)["instanceSidecarConfiguration"]
    if sidecar:
        env = [{"name": "NAMESPACE", "value": c["ns"]}, {"name": "CLUSTER_NAME", "value": c["name"]},
               {"name": "SPOOL_DIRECTORY", "value": "/controller/wal-restore-spool"},
               {"name": "CUSTOM_CNPG_GROUP", "value": "postgresql.cnpg.io"},
               {"name": "CUSTOM_CNPG_VERSION", "value": "v1"}] + deep(side_spec.get("env", [])) + \
              [e for e in base_env if e["name"] not in ("NAMESPACE", "CLUSTER_NAME")]
        side_mounts = [{"mountPath": "/plugins", "name": "plugins"},
                       {"mountPath": "/var/lib/postgresql/data", "name": "pgdata"}]
        if c["wal"]:
            side_mounts.append({"mountPath": "/var/lib/postgresql/wal", "name": "pg-wal"})
        side_mounts += [{"mountPath": "/controller", "name": "scratch-data"}, kmount]
        init.append({"args": ["instance", "--log-level=" + side_spec.get("logLevel", "info")], "env": env,
                     "image": SIDECAR_IMAGE, "imagePullPolicy": "IfNotPresent", "name": "plugin-barman-cloud",
                     "resources": deep(side_spec.get("resources", {})), "restartPolicy": "Always",
                     "securityContext": sec,
                     "startupProbe": {"exec": {"command": ["/manager", "healthcheck", "unix"]}, "failureThreshold": 10,
                                      "periodSeconds": 1, "successThreshold": 1, "timeoutSeconds": 1},
                     "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                     "volumeMounts": side_mounts})
    volumes = [{"name": "pgdata", "persistentVolumeClaim": {"claimName": p}}]
    if c["wal"]:
        volumes.append({"name": "pg-wal", "persistentVolumeClaim": {"claimName": p + "-wal"}})
    volumes += [{"emptyDir": {}, "name": "scratch-data"}, {"emptyDir": {"medium": "Memory"}, "name": "shm"}]
    if sidecar:
        volumes.append({"emptyDir": {}, "name": "plugins"})
    volumes.append(vol)
    spec = {
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "podAffinityTerm": {"labelSelector": {"matchExpressions": [
                {"key": "cnpg.io/cluster", "operator": "In", "values": [c["name"]]},
                {"key": "cnpg.io/podRole", "operator": "In", "values": ["instance"]}]},
                "topologyKey": "kubernetes.io/hostname"}, "weight": 100}]}},
        "containers": [postgres], "dnsPolicy": "ClusterFirst", "enableServiceLinks": False, "hostname": p,
        "initContainers": init, "nodeName": NODES[node]["name"], "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0, "restartPolicy": "Always", "schedulerName": "default-scheduler",
        "securityContext": {"fsGroup": 26, "fsGroupChangePolicy": "OnRootMismatch", "runAsGroup": 26,
                            "runAsNonRoot": True, "runAsUser": 26, "seccompProfile": {"type": "RuntimeDefault"}},
        "serviceAccount": c["name"], "serviceAccountName": c["name"], "subdomain": f"{c['name']}-any",
        "terminationGracePeriodSeconds": 1800, "tolerations": POD_TOL, "volumes": volumes,
    }
    ip = pod_ip(node, 60 + i + 10 * CLUSTERS.index(c))
    init_status = [{"containerID": containerd(p + "bootstrap-controller"), "image": CNPG_IMAGE,
                    "imageID": image_id(CNPG_IMAGE), "lastState": {}, "name": "bootstrap-controller", "ready": True,
                    "restartCount": 0, "started": False,
                    "state": {"terminated": {"containerID": containerd(p + "bootstrap-controller"), "exitCode": 0,
                                             "finishedAt": ts(start + 3 * SEC), "reason": "Completed",
                                             "startedAt": ts(start + 2 * SEC)}}}]
    if sidecar:
        init_status.append(running_status("plugin-barman-cloud", SIDECAR_IMAGE, start + 4 * SEC, p))
    status = {
        "conditions": pod_conditions(start, ready_since=start + dt.timedelta(seconds=19)),
        "containerStatuses": [running_status("postgres", postgres["image"], start + 5 * SEC, p)],
        "hostIP": NODES[node]["ip"], "hostIPs": [{"ip": NODES[node]["ip"]}],
        "initContainerStatuses": init_status, "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
        "qosClass": "Burstable", "startTime": ts(start),
    }
    labels = {"app.kubernetes.io/component": "database", "app.kubernetes.io/instance": c["name"],
              "app.kubernetes.io/managed-by": "cloudnative-pg", "app.kubernetes.io/name": "postgresql",
              "app.kubernetes.io/version": str(c["major"]), "cnpg.io/cluster": c["name"],
              "cnpg.io/instanceName": p, "cnpg.io/instanceRole": role, "cnpg.io/podRole": "instance", "role": role}
    cl = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
          "metadata": {"name": c["name"], "uid": uid(f"postgresql.cnpg.io/v1/Cluster/{c['ns']}/{c['name']}")}}
    return obj("v1", "Pod", p, c["ns"], created=start, labels=labels, owner=owner_ref(cl),
               annotations={"cnpg.io/nodeSerial": str(i + 1), "cnpg.io/operatorVersion": CNPG_VERSION},
               spec=spec, status=status)


POD_TOL = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
]


def cluster_ref(c):
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
            "metadata": {"name": c["name"], "uid": uid(f"postgresql.cnpg.io/v1/Cluster/{c['ns']}/{c['name']}")}}


def cluster_support(c):
    """PVCs, Services, ServiceAccount, the plugin's Role/RoleBinding."""
    out = []
    own = owner_ref(cluster_ref(c))
    for i, p in enumerate(pod_names(c)):
        for suffix, role, size in (("", "PG_DATA", c["storage"]), ("-wal", "PG_WAL", c["wal"])):
            if not size:
                continue
            name = p + suffix
            out.append(obj("v1", "PersistentVolumeClaim", name, c["ns"], created=c["created"] + dt.timedelta(minutes=2 * i),
                           labels={"cnpg.io/cluster": c["name"], "cnpg.io/instanceName": p,
                                   "cnpg.io/instanceRole": "primary" if p == c["primary"] else "replica",
                                   "cnpg.io/pvcRole": role, "role": "primary" if p == c["primary"] else "replica"},
                           annotations={"cnpg.io/nodeSerial": str(i + 1), "cnpg.io/operatorVersion": CNPG_VERSION,
                                        "cnpg.io/pvcStatus": "ready", "pv.kubernetes.io/bind-completed": "yes",
                                        "pv.kubernetes.io/bound-by-controller": "yes",
                                        "volume.beta.kubernetes.io/storage-provisioner": "rbd.csi.ceph.com",
                                        "volume.kubernetes.io/storage-provisioner": "rbd.csi.ceph.com"},
                           owner=own, finalizers=["kubernetes.io/pvc-protection"],
                           spec={"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
                                 "storageClassName": c["sc"], "volumeMode": "Filesystem",
                                 "volumeName": "pvc-" + uid(f"pv:{c['ns']}/{name}")},
                           status={"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "phase": "Bound"}))
    base_ip = {"pg-orders": "10.96.14.", "pg-billing": "10.96.22.", "pg-analytics": "10.96.35."}[c["name"]]
    for k, (suffix, sel) in enumerate((("rw", {"cnpg.io/cluster": c["name"], "cnpg.io/instanceRole": "primary"}),
                                       ("ro", {"cnpg.io/cluster": c["name"], "cnpg.io/instanceRole": "replica"}),
                                       ("r", {"cnpg.io/cluster": c["name"], "cnpg.io/podRole": "instance"}))):
        out.append(service(f"{c['name']}-{suffix}", c["ns"], c["created"], base_ip + str(10 + k),
                           [{"name": "postgres", "port": 5432, "protocol": "TCP", "targetPort": 5432}], sel,
                           labels={"cnpg.io/cluster": c["name"]},
                           annotations={"cnpg.io/operatorVersion": CNPG_VERSION}, owner=own))
    out.append(service_account(c["name"], c["ns"], c["created"], labels={"cnpg.io/cluster": c["name"]}, owner=own))
    plabels = {"app.kubernetes.io/component": "database", "app.kubernetes.io/instance": c["name"],
               "app.kubernetes.io/managed-by": "plugin-barman-cloud", "app.kubernetes.io/name": "barman-cloud-plugin",
               "barmancloud.cnpg.io/cluster": c["name"]}
    secrets = sorted({v["name"] for v in _secret_refs(c)})
    role_created = max(c["created"], PLUGIN_INSTALLED + 60 * SEC)
    out.append(obj("rbac.authorization.k8s.io/v1", "Role", f"{c['name']}-barman-cloud", c["ns"], created=role_created,
                   labels=plabels, owner=own,
                   rules=[{"apiGroups": ["barmancloud.cnpg.io"], "resourceNames": [c["store"]],
                           "resources": ["objectstores"], "verbs": ["get", "watch", "list"]},
                          {"apiGroups": ["barmancloud.cnpg.io"], "resourceNames": [c["store"]],
                           "resources": ["objectstores/status"], "verbs": ["update"]},
                          {"apiGroups": [""], "resourceNames": secrets, "resources": ["secrets"],
                           "verbs": ["get", "watch", "list"]}]))
    out.append(obj("rbac.authorization.k8s.io/v1", "RoleBinding", f"{c['name']}-barman-cloud", c["ns"],
                   created=role_created, labels=plabels, owner=own,
                   roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{c['name']}-barman-cloud"},
                   subjects=[{"kind": "ServiceAccount", "name": c["name"], "namespace": c["ns"]}]))
    return out


def _secret_refs(c):
    conf = objectstore_spec(c)["configuration"]
    refs = []
    for k in ("s3Credentials", "azureCredentials", "googleCredentials"):
        for v in conf.get(k, {}).values():
            if isinstance(v, dict):
                refs.append(v)
    if "endpointCA" in conf:
        refs.append(conf["endpointCA"])
    return refs
