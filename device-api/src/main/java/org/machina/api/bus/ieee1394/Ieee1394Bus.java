package org.machina.api.bus.ieee1394;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A 1394 bus a controller offers (registered under the bus name {@value #NAME}, released with the
 * controller's device context). Nodes attach in their {@code realize()} and detach in their
 * {@code unrealize()}; each attach and detach resets the bus.
 */
@ProviderType
public interface Ieee1394Bus {
    /** The bus name under which a controller registers its (first) bus. */
    String NAME = "ieee1394";

    /** Attaches a node; fails when the bus already has 63 nodes. */
    Ieee1394Port attach(String name, Ieee1394Node node);
}
