package dev.calicorr.core.kube;

/** The list type the generic API and the informer need for {@link KubeControllersConfiguration}. */
public class KubeControllersConfigurationList extends CalicoResourceList<KubeControllersConfiguration> {
}
