package org.machina.net.user;

import java.io.IOException;
import java.util.Map;
import org.machina.api.net.Netdev;
import org.machina.api.net.NetdevType;
import org.machina.api.time.MachineExecutor;
import org.osgi.service.component.annotations.Component;

/** {@code -netdev user,...} as a {@link NetdevType} service. */
@Component(service = NetdevType.class, property = "machina.name=user")
public final class UserNetdevType implements NetdevType {
    @Override
    public String kind() {
        return "user";
    }

    @Override
    public Netdev open(String id, Map<String, String> options, MachineExecutor executor) throws IOException {
        return new UserNetdev(id, NetConfig.parse(options), executor);
    }
}
