package dev.calicorr.routereflector.kube;

import dev.calicorr.core.kube.CalicoResourceList;

/** The list type the generic API and the informer need for {@link BgpConfiguration}. */
public class BgpConfigurationList extends CalicoResourceList<BgpConfiguration> {
}
