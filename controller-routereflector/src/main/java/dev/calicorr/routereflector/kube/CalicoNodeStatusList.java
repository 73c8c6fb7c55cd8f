package dev.calicorr.routereflector.kube;

import dev.calicorr.core.kube.CalicoResourceList;

/** The list type the generic API and the informer need for {@link CalicoNodeStatus}. */
public class CalicoNodeStatusList extends CalicoResourceList<CalicoNodeStatus> {
}
