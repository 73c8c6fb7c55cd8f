package dev.calicorr.core.kube;

/** A Calico CRD the controller needs is not installed in the cluster. */
public class MissingCrdException extends Exception {
    private static final long serialVersionUID = 1L;

    public MissingCrdException(String plural) {
        super("the CRD " + CalicoApi.crdName(plural) + " is not installed: install Calico with "
                + "its CRDs first, or apply ours (kubectl apply -k deploy/crds)");
    }
}
