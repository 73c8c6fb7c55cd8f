/**
 * Liveness and readiness endpoints for Kubernetes probes.
 */
package dev.calicorr.core.health;
