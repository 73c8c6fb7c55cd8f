/**
 * The route reflector controller's configuration: the validated record, its pure parser (section + environment) and label syntax checks.
 */
package dev.calicorr.routereflector.config;
