package org.machina.nbd;

import org.machina.nbd.api.NbdServerService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/** The bundle's NBD server, published as {@link NbdServerService}; stopped when the bundle stops. */
@Component(service = NbdServerService.class)
public final class NbdServerComponent extends NbdServer {
    @Deactivate
    void deactivate() {
        stop();
    }
}
