/**
 * All API I/O of the controller: informers and work queue, the reconciler, step execution (merge patches, owned objects only), legacy peer hand-over, the topology report.
 */
package dev.calicorr.routereflector.apply;
