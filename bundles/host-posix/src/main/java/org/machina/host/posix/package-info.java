/**
 * The host's C library through {@code java.lang.foreign}, shared by every bundle that talks to a
 * Linux kernel interface directly (V4L2 capture, firewire-cdev, ICMP sockets): the calls as the
 * interface {@link org.machina.host.posix.Libc} (so a unit test can put a simulated kernel behind
 * it), their one binding {@link org.machina.host.posix.FfmLibc} with errno captured right after
 * each call, and {@link org.machina.host.posix.ErrnoException} for a failed call. Linux LP64
 * (x86-64, arm64) values.
 */
@Version("1.3.0")
@Export
package org.machina.host.posix;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
