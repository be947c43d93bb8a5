using System.Text.Json.Nodes;

namespace NetPolHost.Kubernetes.Tests.Fakes;

/// <summary>Objects as a real API server sends them (metadata with uid, managedFields, owner references; full pod
/// specs and statuses), so the conversion sees what it will see on a cluster.</summary>
internal static class Objects
{
    public static JsonObject Namespace(string name, params (string Key, string Value)[] labels)
    {
        var labelObject = new JsonObject { ["kubernetes.io/metadata.name"] = name };
        foreach (var (key, value) in labels)
        {
            labelObject[key] = value;
        }

        return Parse($$"""
            {
              "kind": "Namespace", "apiVersion": "v1",
              "metadata": {
                "name": "{{name}}", "creationTimestamp": "2025-01-10T08:00:00Z",
                "labels": {{labelObject.ToJsonString()}},
                "managedFields": [{"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": "2025-01-10T08:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {} } } } }]
              },
              "spec": {"finalizers": ["kubernetes"]},
              "status": {"phase": "Active"}
            }
            """);
    }

    public static JsonObject Pod(string ns, string name, string node, string? ip, string app = "web", string phase = "Running", string tier = "frontend")
    {
        var ips = ip is null ? string.Empty : $$""", "podIP": "{{ip}}", "podIPs": [{"ip": "{{ip}}"}]""";
        return Parse($$"""
            {
              "kind": "Pod", "apiVersion": "v1",
              "metadata": {
                "name": "{{name}}", "generateName": "{{app}}-7d4b9c-", "namespace": "{{ns}}",
                "creationTimestamp": "2025-01-10T08:01:00Z",
                "labels": {"app": "{{app}}", "tier": "{{tier}}", "pod-template-hash": "7d4b9c"},
                "annotations": {"kubectl.kubernetes.io/restartedAt": "2025-01-10T08:00:59Z"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "{{app}}-7d4b9c", "uid": "0b1e6d2a-1111-4c3e-9a7e-5f1d2c3b4a59", "controller": true, "blockOwnerDeletion": true}],
                "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": "2025-01-10T08:01:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {} } } } }]
              },
              "spec": {
                "volumes": [{"name": "kube-api-access-x1", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"} }], "defaultMode": 420} }],
                "containers": [{
                  "name": "{{app}}", "image": "nginx:1.27",
                  "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
                  "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"} },
                  "volumeMounts": [{"name": "kube-api-access-x1", "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
                  "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"
                }],
                "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                "serviceAccountName": "default", "serviceAccount": "default", "nodeName": "{{node}}",
                "securityContext": {}, "schedulerName": "default-scheduler",
                "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
                "priority": 0, "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority"
              },
              "status": {
                "phase": "{{phase}}",
                "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2025-01-10T08:01:05Z"}],
                "hostIP": "192.168.10.11", "hostIPs": [{"ip": "192.168.10.11"}]{{ips}},
                "startTime": "2025-01-10T08:01:00Z",
                "containerStatuses": [{"name": "{{app}}", "state": {"running": {"startedAt": "2025-01-10T08:01:04Z"} }, "lastState": {}, "ready": true, "restartCount": 0, "image": "docker.io/library/nginx:1.27", "imageID": "docker.io/library/nginx@sha256:0f04", "containerID": "containerd://5d2e", "started": true}],
                "qosClass": "Burstable"
              }
            }
            """);
    }

    public static JsonObject Node(string name, string ip) => Parse($$"""
        {
          "kind": "Node", "apiVersion": "v1",
          "metadata": {"name": "{{name}}", "labels": {"kubernetes.io/hostname": "{{name}}", "kubernetes.io/os": "linux"}, "creationTimestamp": "2025-01-01T00:00:00Z"},
          "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]},
          "status": {
            "capacity": {"cpu": "4", "memory": "16318180Ki", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "2025-01-10T08:00:00Z", "lastTransitionTime": "2025-01-01T00:00:10Z", "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
            "addresses": [{"type": "InternalIP", "address": "{{ip}}"}, {"type": "Hostname", "address": "{{name}}"}],
            "nodeInfo": {"kubeletVersion": "v1.33.1", "osImage": "Debian GNU/Linux 12 (bookworm)", "architecture": "amd64", "operatingSystem": "linux"}
          }
        }
        """);

    public static JsonObject Policy(string ns, string name, string spec) => Parse($$"""
        {
          "kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1",
          "metadata": {
            "name": "{{name}}", "namespace": "{{ns}}", "generation": 1, "creationTimestamp": "2025-01-10T09:00:00Z",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"networking.k8s.io/v1\"}\n"},
            "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "networking.k8s.io/v1", "time": "2025-01-10T09:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:podSelector": {} } } }]
          },
          "spec": {{spec}}
        }
        """);

    /// <summary>Only web pods in "shop" may reach the db pods on port <paramref name="port"/>.</summary>
    public static JsonObject DbPolicy(string port = "5432") => Policy("shop", "db", $$"""
        {
          "podSelector": {"matchLabels": {"app": "db"} },
          "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"} } }, {"namespaceSelector": {"matchLabels": {"team": "ops"} } }], "ports": [{"protocol": "TCP", "port": {{port}}}]}],
          "policyTypes": ["Ingress"]
        }
        """);

    /// <summary>A small cluster: two namespaces, two nodes, pods on both, one policy.</summary>
    public static void Seed(FakeApiServer server)
    {
        server.Namespaces.Put(Namespace("shop", ("team", "shop")));
        server.Namespaces.Put(Namespace("ops", ("team", "ops")));
        server.Nodes.Put(Node("node-1", "192.168.10.11"));
        server.Nodes.Put(Node("node-2", "192.168.10.12"));
        server.Pods.Put(Pod("shop", "web-1", "node-1", "10.244.1.10"));
        server.Pods.Put(Pod("shop", "db-1", "node-2", "10.244.2.20", app: "db", tier: "backend"));
        server.Pods.Put(Pod("ops", "monitor-1", "node-2", "10.244.2.30", app: "monitor"));
        server.NetworkPolicies.Put(DbPolicy());
    }

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}
