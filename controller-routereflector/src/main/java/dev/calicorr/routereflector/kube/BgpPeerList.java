package dev.calicorr.routereflector.kube;

import dev.calicorr.core.kube.CalicoResourceList;

/** The list type the generic API and the informer need for {@link BgpPeer}. */
public class BgpPeerList extends CalicoResourceList<BgpPeer> {
}
