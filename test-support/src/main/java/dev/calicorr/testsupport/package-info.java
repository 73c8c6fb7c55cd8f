/**
 * Test support: a real kube-apiserver and etcd on loopback (built from the Kubernetes Go modules), a JUnit 5 extension that shares one per test JVM, and simulated nodes. Used by the integration tests of every module and by the demo.
 */
package dev.calicorr.testsupport;
