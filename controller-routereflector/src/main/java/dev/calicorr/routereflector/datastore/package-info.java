/**
 * Where Calico's resources are read and written: the Kubernetes datastore (CRDs, Nodes' labels and
 * annotations; {@link dev.calicorr.routereflector.datastore.KddDatastore}) or Calico's etcdv3
 * datastore ({@link dev.calicorr.routereflector.datastore.EtcdDatastore}: libcalico-go's v3 keys in
 * etcd, watched from a known revision, written conditionally on the mod revision). The applier sees
 * only {@link dev.calicorr.routereflector.datastore.Datastore}: caches of Nodes (as the planner reads
 * them), BGPPeers, BGPConfigurations and CalicoNodeStatuses, and their writes. The etcd client,
 * keys, conditional writes and watches are controller-core's ({@code dev.calicorr.core.etcd}), shared
 * with the host, which keeps {@code KubeControllersConfiguration/default} in etcd in that mode.
 */
package dev.calicorr.routereflector.datastore;
