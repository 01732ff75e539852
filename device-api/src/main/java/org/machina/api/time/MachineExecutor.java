package org.machina.api.time;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The machine thread: the one thread that owns device state. I/O threads never touch a device
 * directly; they {@link #execute} work here. Timers created here fire here.
 */
@ProviderType
public interface MachineExecutor extends Executor {
    /** Runs {@code task} on the machine thread as soon as possible (after the current instruction). */
    @Override
    void execute(Runnable task);

    /** Runs {@code task} on the machine thread and completes the future with its result. */
    <T> CompletableFuture<T> submit(Callable<T> task);

    /** Whether the caller is the machine thread. */
    boolean inMachineThread();

    /** A new, unarmed timer whose callback runs on the machine thread. */
    Timer newTimer(String name, Runnable callback);

    VirtualClock clock();
}
