; The A20 gate: port 0x92 bit 1 and the i8042 output port bit 1 (command 0xD1, and the 0xDD/0xDF
; shortcuts). With the gate closed, physical address bit 20 is forced to 0, so addresses wrap at
; 1 MiB; every change is seen by the very next access, data and code alike (translations and
; fetched code cached before the change must not be used after it). The sequence keeps both
; gate bits equal whenever the gate is to be closed, so it reads the same whether a board ORs
; the two bits (a PC chipset) or lets the last write win.
%include "lib.inc"
%include "pm.inc"
RAM     equ 0x30000                     ; "mov eax, 1; retf" here, "mov eax, 2; retf" 1 MiB up

bits 16
org 0
start:
  REAL_ENTRY
; ---- real mode: FFFF:0610 is linear 0x100600, or 0x600 with the gate closed
  call kbc_a20_off16
  call p92_a20_off16
  mov word [0x600], 0x1111
  mov ax, 0xFFFF
  mov es, ax
  mov word [es:0x610], 0x2222
  movzx eax, word [0x600]
  CHECK "real-gate-closed-write-wraps", 0x2222
  in al, 0x92
  or al, 2
  out 0x92, al
  mov word [es:0x610], 0x3333
  movzx eax, word [0x600]
  CHECK "real-port92-open-write-above-1m", 0x2222
  movzx eax, word [es:0x610]
  CHECK "real-port92-open-read-above-1m", 0x3333
  xor ax, ax
  mov es, ax
  PM_ENTER pm16
pm16:
  jmp dword SEL_CODE32:pm32

kbc_wait16:
  in al, 0x64
  test al, 2
  jnz kbc_wait16
  ret
kbc_a20_off16:                          ; i8042 output port = 0xDD (A20 clear, no reset)
  call kbc_wait16
  mov al, 0xD1
  out 0x64, al
  call kbc_wait16
  mov al, 0xDD
  out 0x60, al
  jmp kbc_wait16
p92_a20_off16:
  in al, 0x92
  and al, ~3
  out 0x92, al
  ret

bits 32
pm32:
  PM32_SETUP
  mov dword [0x700], 0x0707
  mov dword [0x100700], 0x1707
  mov dword [0x704], 0x0704
  mov dword [0x100704], 0x1704
  mov esi, 0xF0000 + r_low
  mov edi, RAM
  mov ecx, r_end - r_low
  rep movsb
  mov esi, 0xF0000 + r_high
  mov edi, RAM + 0x100000
  mov ecx, r_end - r_high
  rep movsb
; ---- data: a translation used with the gate open must not serve the access after closing it
  mov eax, [0x100700]
  CHECK "pm-gate-open-read-above-1m", 0x1707
  call p92_a20_off                      ; the i8042 gate is still closed
  mov eax, [0x100700]
  CHECK "pm-port92-closed-read-wraps", 0x0707
  in al, 0x92
  movzx eax, al
  and eax, 2
  CHECK "port92-reads-back-closed", 0
  mov dword [0x100704], 0x2704          ; lands at 0x704
  mov bl, 0xDF
  call kbc_output                       ; i8042 output port: A20 set
  mov eax, [0x704]
  CHECK "pm-closed-write-went-below-1m", 0x2704
  mov eax, [0x100704]
  CHECK "pm-i8042-output-port-open-read-above-1m", 0x1704
  call kbc_wait
  mov al, 0xD0                          ; read the output port
  out 0x64, al
  call kbc_wait_data
  in al, 0x60
  movzx eax, al
  and eax, 2
  CHECK "i8042-output-port-reads-back-open", 2
; ---- code: the fetch of the same linear address follows the gate
  call SEL_FLAT:RAM + 0x100000
  CHECK "code-above-1m-gate-open", 2
  call kbc_wait
  mov al, 0xDD                          ; i8042: A20 off
  out 0x64, al
  call kbc_wait
  call SEL_FLAT:RAM + 0x100000
  CHECK "code-wraps-after-i8042-dd", 1
  mov bl, 0xDF
  call kbc_output
  call SEL_FLAT:RAM + 0x100000
  CHECK "code-above-1m-after-i8042-d1-open", 2
  mov bl, 0xDD
  call kbc_output
  call SEL_FLAT:RAM + 0x100000
  CHECK "code-wraps-after-i8042-d1-closed", 1
  mov eax, [0x100700]
  CHECK "data-wraps-after-i8042-d1-closed", 0x0707
  in al, 0x92
  or al, 2
  out 0x92, al
  call SEL_FLAT:RAM + 0x100000
  CHECK "code-above-1m-after-port92-open", 2
  mov eax, [0x100700]
  CHECK "data-above-1m-after-port92-open", 0x1707
  call finish_32

kbc_wait:
  in al, 0x64
  test al, 2
  jnz kbc_wait
  ret
kbc_wait_data:
  in al, 0x64
  test al, 1
  jz kbc_wait_data
  ret
kbc_output:                             ; BL -> i8042 output port (command 0xD1)
  call kbc_wait
  mov al, 0xD1
  out 0x64, al
  call kbc_wait
  mov al, bl
  out 0x60, al
  jmp kbc_wait
p92_a20_off:
  in al, 0x92
  and al, ~3
  out 0x92, al
  ret

r_low:
  mov eax, 1
  retf
r_high:
  mov eax, 2
  retf
r_end:

  FAULT_STUBS
  GDT_TABLE
bits 16
  LIBRARY 16
bits 32
  LIBRARY 32
  STRINGS
bits 16
  RESET_VECTOR start
