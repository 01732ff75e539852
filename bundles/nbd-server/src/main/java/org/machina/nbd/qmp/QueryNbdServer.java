package org.machina.nbd.qmp;

import java.util.Map;
import org.machina.api.monitor.CommandContext;
import org.machina.api.monitor.MonitorCommand;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code x-machina-query-nbd-server} (QEMU has no query for it): {@code {"running", "addr"?, "uri"?, "exports"}}
 * with the bound address (the real port when port 0 was asked for).
 */
@Component(service = MonitorCommand.class, property = "machina.name=x-machina-query-nbd-server")
public final class QueryNbdServer implements MonitorCommand {
    @Reference
    NbdExports exports;

    @Override
    public String name() {
        return "x-machina-query-nbd-server";
    }

    @Override
    public String description() {
        return "whether the NBD server runs, its address and exports";
    }

    @Override
    public Object execute(CommandContext context, Map<String, Object> arguments) {
        return exports.serverInfo();
    }
}
