/**
 * Calico label selectors: parsing and matching (no Java library exists), and building selector
 * text with safe quoting for the BGPPeers we write. Pure; no I/O.
 */
package dev.calicorr.routereflector.selector;
