/**
 * The user-mode network stack on its own: the service behind {@code machina net serve}, which
 * speaks QEMU's {@code -netdev stream} framing so a QEMU guest can use Machina's stack.
 */
@Version("1.0.0")
@Export
package org.machina.net.user.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
