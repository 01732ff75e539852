package org.machina.net.user;

import java.io.IOException;
import org.machina.net.user.api.NetStandalone;
import org.osgi.service.component.annotations.Component;

/** {@link NetStandalone} as a service (used by {@code machina net serve}). */
@Component(service = NetStandalone.class)
public final class NetStandaloneComponent implements NetStandalone {
    @Override
    public Serving serve(Options options) throws IOException {
        return StreamServer.start(options);
    }
}
