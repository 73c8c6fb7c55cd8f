/**
 * The Calico API group and the KubeControllersConfiguration resource: reads it, creates it when missing, reports the effective configuration (status when standalone, else an annotation).
 */
package dev.calicorr.core.kube;
