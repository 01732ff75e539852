; 16- and 32-bit protected mode: GDT, descriptor type / privilege checks on segment loads with
; their #GP, #NP error codes (limits on use: seglimit.asm), IDT exceptions (#DE #UD #BP) with the right saved EIP, interrupt vs trap
; gates, and the 8254 PIT + 8259 PIC delivering IRQ0 to an IDT handler while HLT waits.
%include "lib.inc"
%include "pm.inc"
bits 16
org 0
start:
  REAL_ENTRY
  PM_ENTER pm16
pm16:                                   ; 16-bit protected mode
  mov ax, SEL_DATA16
  mov ds, ax
  mov ss, ax
  smsw ax
  and eax, 1
  CHECK "pm16-cr0-pe", 1
  mov ax, cs
  movzx eax, ax
  CHECK "pm16-cs", SEL_CODE16
  mov word [0x600], 0xBEEF
  movzx eax, word [0x600]
  CHECK "pm16-data", 0xBEEF
  jmp dword SEL_CODE32:pm32
bits 32
pm32:
  PM32_SETUP
  mov eax, cs
  movzx eax, ax
  CHECK "pm32-cs", SEL_CODE32
  mov dword [0x12344], 0xCAFEBABE
  mov eax, [0x12344]
  CHECK "pm32-flat-data", 0xCAFEBABE
; ---- exceptions
  EXPECT .r_de
  xor ecx, ecx
.de: div ecx
.r_de:
  mov eax, [LASTVEC]
  CHECK "de-vector", 0
  mov eax, [FAULTIP]
  CHECK "de-eip-is-faulting", .de
  EXPECT .r_ud
.ud: ud2
.r_ud:
  mov eax, [LASTVEC]
  CHECK "ud-vector", 6
  mov eax, [FAULTIP]
  CHECK "ud-eip-is-faulting", .ud
  EXPECT .r_bp
.bp: int3
.bp_next:
  jmp .r_bp
.r_bp:
  mov eax, [LASTVEC]
  CHECK "bp-vector", 3
  mov eax, [FAULTIP]
  CHECK "bp-eip-is-next", .bp_next
; ---- segment checks
  EXPECT .r_gdtlim
  mov ax, 0x100
  mov es, ax
.r_gdtlim:
  mov eax, [LASTVEC]
  CHECK "beyond-gdt-gp-vector", 13
  mov eax, [LASTERR]
  CHECK "beyond-gdt-gp-error", 0x100
  EXPECT .r_np
  mov ax, SEL_NP
  mov es, ax
.r_np:
  mov eax, [LASTVEC]
  CHECK "not-present-np-vector", 11
  mov eax, [LASTERR]
  CHECK "not-present-np-error", SEL_NP
  EXPECT .r_xo
  mov ax, SEL_XONLY
  mov es, ax
.r_xo:
  mov eax, [LASTVEC]
  CHECK "exec-only-into-es-gp-vector", 13
  mov eax, [LASTERR]
  CHECK "exec-only-into-es-gp-error", SEL_XONLY
  EXPECT .r_rpl
  mov ax, SEL_DATA32 | 3
  mov es, ax
.r_rpl:
  mov eax, [LASTVEC]
  CHECK "rpl-above-dpl-gp-vector", 13
  mov eax, [LASTERR]
  CHECK "rpl-above-dpl-gp-error", SEL_DATA32
  EXPECT .r_nss
  xor eax, eax
  mov ss, ax
.r_nss:
  mov eax, [LASTVEC]
  CHECK "null-ss-gp-vector", 13
  mov eax, [LASTERR]
  CHECK "null-ss-gp-error", 0
  mov ax, SEL_DATA32
  mov es, ax
; ---- interrupt gate clears IF, trap gate keeps it
  SET_GATE 0x40, h_flags, 0x8E, SEL_CODE32
  SET_GATE 0x41, h_flags, 0x8F, SEL_CODE32
  sti
  int 0x40
  cli
  mov eax, [0x610]
  and eax, 0x200
  CHECK "interrupt-gate-clears-if", 0
  sti
  int 0x41
  cli
  mov eax, [0x610]
  and eax, 0x200
  CHECK "trap-gate-keeps-if", 0x200
; ---- PIT + PIC: IRQ0 while HLT waits
  mov dword [0xFEE000F0], 0x1FF          ; local APIC (if any): software enable, LINT0 = ExtINT,
  mov dword [0xFEE00350], 0x700          ; so the 8259's INTR reaches the core as on a PC
  SET_GATE 0x20, h_irq0, 0x8E, SEL_CODE32
  mov dword [TICKS], 0
  mov al, 0x11                           ; ICW1: edge, cascade, ICW4 needed
  out 0x20, al
  out 0xA0, al
  mov al, 0x20                           ; ICW2: vectors 0x20.. / 0x28..
  out 0x21, al
  mov al, 0x28
  out 0xA1, al
  mov al, 0x04                           ; ICW3
  out 0x21, al
  mov al, 0x02
  out 0xA1, al
  mov al, 0x01                           ; ICW4: 8086 mode, normal EOI
  out 0x21, al
  out 0xA1, al
  mov al, 0xFE                           ; only IRQ0
  out 0x21, al
  mov al, 0xFF
  out 0xA1, al
  mov al, 0x34                           ; channel 0, lo/hi byte, mode 2
  out 0x43, al
  mov ax, 11932                          ; ~100 Hz
  out 0x40, al
  mov al, ah
  out 0x40, al
  xor ecx, ecx
  sti
.wait: hlt
  inc ecx
  cmp ecx, 1000
  jae .gaveup
  cmp dword [TICKS], 5
  jb .wait
.gaveup:
  cli
  mov al, 0xFF
  out 0x21, al
  mov eax, [TICKS]
  CHECK "irq0-ticks", 5
  mov eax, ecx
  CHECK "hlt-woken-by-each-irq0", 5
  mov al, 0x0B                           ; OCW3: read ISR, clear after EOI
  out 0x20, al
  in al, 0x20
  movzx eax, al
  CHECK "pic-isr-clear-after-eoi", 0
  call finish_32

h_flags:
  push eax
  pushfd
  pop eax
  mov [0x610], eax
  pop eax
  iret
h_irq0:
  push eax
  inc dword [TICKS]
  mov al, 0x20
  out 0x20, al
  pop eax
  iret

  FAULT_STUBS
  GDT_TABLE
bits 16
  LIBRARY 16
bits 32
  LIBRARY 32
  STRINGS
bits 16
  RESET_VECTOR start
