/**
 * Calico's etcdv3 datastore, shared by the host and the plugins: the client (TLS, client
 * certificates, etcd login), libcalico-go's v3 key layout and values, reads and writes of single
 * keys conditional on the mod revision, and watches of a prefix from a listed revision (listed again
 * after a compaction). The host keeps {@code KubeControllersConfiguration/default} there in etcd mode
 * ({@link dev.calicorr.core.etcd.EtcdConfigurationStore}).
 */
package dev.calicorr.core.etcd;
