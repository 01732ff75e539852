; Device access benchmark ROM (32-bit protected mode, scripts/bench/fastpath-bench.sh): COUNT
; accesses of one KIND in a 3-instruction loop, then "RESULT kind first last" to port 0xE9.
;   KIND=1  IN EAX, DX from the ACPI PM timer (port 0x608 on the pc board)
;   KIND=2  MOV EAX, [0xFED000F0]: the HPET main counter (enabled first)
;   KIND=3  MOV EAX, [RAM]: the same loop on plain RAM, the baseline to subtract
; first/last are the values read by the first and the last access (a device that counts shows
; them differ); then the TSC cycles the COUNT accesses took (high, low dword), which on Machina
; (TSC at 1 GHz of guest time, guest time = host time while running less host stalls of the
; machine thread) are nanoseconds.
%include "lib.inc"
%include "pm.inc"
%ifndef COUNT
%define COUNT 1000000
%endif
%ifndef KIND
%define KIND 1
%endif
PM_TMR    equ 0x608
HPET      equ 0xFED00000
RAMWORD   equ 0x600
FIRST     equ 0x604
TSC0      equ 0x608                       ; qword
PM32_ROM_START
  mov dword [HPET + 0x10], 1              ; GEN_CONF.ENABLE_CNF: the counter runs
  mov dword [RAMWORD], 0x12345678
  rdtsc
  mov [TSC0], eax
  mov [TSC0 + 4], edx
  mov ecx, COUNT
  mov edx, PM_TMR
%if KIND == 1
  in eax, dx
  mov [FIRST], eax
.l: in eax, dx
  dec ecx
  jnz .l
%elif KIND == 2
  mov eax, [HPET + 0xF0]
  mov [FIRST], eax
.l: mov eax, [HPET + 0xF0]
  dec ecx
  jnz .l
%else
  mov eax, [RAMWORD]
  mov [FIRST], eax
.l: mov eax, [RAMWORD]
  dec ecx
  jnz .l
%endif
  mov ebx, eax
  rdtsc
  sub eax, [TSC0]
  sbb edx, [TSC0 + 4]
  mov [TSC0], eax
  mov [TSC0 + 4], edx
  mov esi, s_result
  call puts_32
  mov eax, KIND
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, [FIRST]
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, ebx
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, [TSC0 + 4]
  call hex_32
  mov al, ' '
  call putc_32
  mov eax, [TSC0]
  call hex_32
  mov al, 10
  call putc_32
  call finish_32
s_result: db "RESULT ", 0

  PM32_ROM_END
