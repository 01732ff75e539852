package org.machina.monitor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.machina.api.machine.Machine;
import org.machina.api.monitor.MonitorCommand;
import org.machina.monitor.api.MonitorHandle;
import org.machina.monitor.api.MonitorService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The monitor service: tracks every {@link MonitorCommand} on the whiteboard and starts
 * {@link QmpServer}s that serve them. Deactivation closes every monitor it started.
 */
@Component(service = MonitorService.class)
public final class MonitorComponent implements MonitorService {
    private final CommandRegistry registry = new CommandRegistry();
    private final Set<QmpServer> servers = ConcurrentHashMap.newKeySet();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            service = MonitorCommand.class, unbind = "removeCommand")
    void addCommand(MonitorCommand command) {
        registry.add(command);
    }

    void removeCommand(MonitorCommand command) {
        registry.remove(command);
    }

    @Override
    public MonitorHandle start(Machine machine, Path unixSocket, Optional<InetSocketAddress> tcp) throws IOException {
        QmpServer server = new QmpServer(machine, unixSocket, tcp, registry);
        servers.add(server);
        return new MonitorHandle() {
            @Override
            public Path unixSocket() {
                return server.unixSocket();
            }

            @Override
            public Optional<InetSocketAddress> tcpAddress() {
                return server.tcpAddress();
            }

            @Override
            public int clientCount() {
                return server.clientCount();
            }

            @Override
            public void close() {
                servers.remove(server);
                server.close();
            }
        };
    }

    @Deactivate
    void deactivate() {
        for (QmpServer s : servers) {
            s.close();
        }
        servers.clear();
    }
}
