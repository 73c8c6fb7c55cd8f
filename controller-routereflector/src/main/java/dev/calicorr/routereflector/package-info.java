/**
 * The route reflector controller as a plugin of the host, enabled as routereflector.
 */
package dev.calicorr.routereflector;
