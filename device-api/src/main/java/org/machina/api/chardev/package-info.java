/**
 * Character backends devices read from and write to (stdio, files, sockets).
 */
@Version("1.0.0")
@Export
package org.machina.api.chardev;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
