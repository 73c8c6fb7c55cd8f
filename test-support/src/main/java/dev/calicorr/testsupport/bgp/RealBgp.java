package dev.calicorr.testsupport.bgp;

import dev.calicorr.testsupport.ControlPlaneExtension;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the annotated test class against the real control plane and real BGP: tests take a
 * {@code ControlPlane} and a {@link BgpNetwork} (a new one per test, torn down after it, also when
 * it fails). Needs root (network namespaces), Debian's {@code bird}, and {@code hack/calico/build.sh}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith({ControlPlaneExtension.class, BgpNetworkExtension.class})
public @interface RealBgp {
}
