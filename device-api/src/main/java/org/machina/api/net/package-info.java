/**
 * Frame-level network backends ({@code -netdev}): the host side of a NIC. A NIC hands Ethernet
 * frames to a {@link org.machina.api.net.Netdev} and receives frames through its
 * {@link org.machina.api.net.Netdev.Port}; both directions have back-pressure. Backends are
 * created by {@link org.machina.api.net.NetdevType} services, one per kind ({@code user}, ...).
 */
@Version("1.0.0")
@Export
package org.machina.api.net;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
