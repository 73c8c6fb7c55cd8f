/**
 * The host's Prometheus metrics; every metric of the product is prefixed calico_rr_.
 */
package dev.calicorr.core.metrics;
