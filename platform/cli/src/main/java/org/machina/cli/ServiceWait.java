package org.machina.cli;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/** Waits a little for a Declarative Services component to publish a service the CLI needs. */
final class ServiceWait {
    private static final long WAIT_MS = 5_000;

    private ServiceWait() {
    }

    /** The service of {@code type}; after 5 s without one, a failure naming {@code what} and the {@code hint}. */
    static <T> T await(BundleContext context, Class<T> type, String what, String hint) {
        return type.cast(context.getService(awaitReference(context, type.getName(), what, hint)));
    }

    /**
     * A reference to a service published under {@code className} (for services whose API the CLI
     * does not import); after 5 s without one, a failure naming {@code what} and the {@code hint}.
     */
    static ServiceReference<?> awaitReference(BundleContext context, String className, String what, String hint) {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        ServiceReference<?> ref;
        while ((ref = context.getServiceReference(className)) == null) {
            if (System.currentTimeMillis() > deadline) {
                throw new CliException(CliException.FAILURE, "no " + what + " (" + className + ") in this distribution; "
                        + hint);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(CliException.FAILURE, "interrupted");
            }
        }
        return ref;
    }
}
