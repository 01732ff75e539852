package org.machina.cli;

import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import org.machina.api.machine.Machine;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Starts the QMP monitor through the monitor bundle's {@code org.machina.monitor.api.MonitorService}
 * ({@code MonitorHandle start(Machine, Path unixSocket, Optional<InetSocketAddress> tcp)}), looked up
 * by name so the CLI runs (without daemons) in distributions that have no monitor bundle.
 */
final class MonitorServiceLink implements DaemonCommand.MonitorLink {
    static final String SERVICE = "org.machina.monitor.api.MonitorService";

    private final BundleContext context;

    MonitorServiceLink(BundleContext context) {
        this.context = context;
    }

    @Override
    public AutoCloseable start(Machine machine, Path socket) throws Exception {
        ServiceReference<?> ref = ServiceWait.awaitReference(context, SERVICE, "QMP monitor service",
                "instances need the org.machina.monitor bundle");
        Object service = context.getService(ref);
        Method start = findInterface(service.getClass()).getMethod("start", Machine.class, Path.class, Optional.class);
        Object handle = start.invoke(service, machine, socket, Optional.<InetSocketAddress>empty());
        Method close = start.getReturnType().getMethod("close");
        ServiceReference<?> held = ref;
        return () -> {
            try {
                close.invoke(handle);
            } finally {
                context.ungetService(held);
            }
        };
    }

    private static Class<?> findInterface(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                if (i.getName().equals(SERVICE)) {
                    return i;
                }
            }
        }
        throw new IllegalStateException(c + " does not implement " + SERVICE);
    }
}
