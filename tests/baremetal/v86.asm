; Virtual-8086 mode: entered with IRET (VM=1) from ring 0, real-mode segment arithmetic, CLI and
; INT n with IOPL 0 raising #GP(0), IOPL 3 allowing CLI/STI/PUSHF and INT n through a DPL 3
; interrupt gate (data segments cleared in the ring-0 handler, IRET back to v86), HLT always
; #GP(0); the ring-0 stack frame from v86 (EFLAGS.VM, CS, EIP, ES, DS).
%include "lib.inc"
%include "pm.inc"
V86_CONT equ 0x7F0
PM32_ROM_START
  mov edi, TSS1
  xor eax, eax
  mov ecx, 104 / 4
  rep stosd
  mov dword [TSS1 + 4], 0x6000           ; ESP0
  mov dword [TSS1 + 8], SEL_DATA32       ; SS0
  mov word [TSS1 + 102], 104
  mov ax, SEL_TSS1
  ltr ax
  SET_GATE 0x81, v86_int, 0xEE, SEL_CODE32
  mov dword [V86_CONT], .phase1_done
  push dword 0                           ; GS
  push dword 0                           ; FS
  push dword 0x1000                      ; DS
  push dword 0                           ; ES
  push dword 0                           ; SS
  push dword 0x8000                      ; SP
  push dword 0x00020002                  ; EFLAGS: VM, IOPL 0
  push dword 0xF000                      ; CS
  push dword v86_iopl0                   ; IP
  iret
.phase1_done:
  movzx eax, word [0x10010]
  CHECK "v86-segment-arithmetic", 0xABCD
  movzx eax, word [0x10012]
  CHECK "v86-cs", 0xF000
  mov eax, [0x700]
  CHECK "v86-cli-iopl0-gp-vector", 13
  mov eax, [0x704]
  CHECK "v86-cli-iopl0-gp-error", 0
  mov eax, [0x708]
  CHECK "v86-int-iopl0-gp-vector", 13
  mov eax, [0x70C]
  CHECK "v86-pushf-iopl0-gp-vector", 13
  mov eax, [0x780]
  CHECK "v86-exit-data-segments-cleared", 0
  mov eax, [0x784]
  and eax, 0x23000
  CHECK "v86-exit-saved-eflags-vm", 0x20000
  mov eax, [0x788]
  CHECK "v86-exit-saved-cs", 0xF000
  mov eax, [0x78C]
  CHECK "v86-exit-saved-ip", v86_iopl0.hlt
  mov eax, [0x790]
  CHECK "v86-exit-saved-ds", 0x1000
  mov eax, [0x794]
  CHECK "v86-exit-saved-es", 0
  mov dword [V86_CONT], .phase2_done
  push dword 0
  push dword 0
  push dword 0
  push dword 0
  push dword 0
  push dword 0x8000
  push dword 0x00023002                  ; EFLAGS: VM, IOPL 3
  push dword 0xF000
  push dword v86_iopl3
  iret
.phase2_done:
  mov eax, [0x720]
  CHECK "v86-iopl3-cli-sti-pushf", 0x3200
  mov eax, [0x724]
  CHECK "v86-iopl3-int-handler-ds", 0
  mov eax, [0x728]
  and eax, 0x20000
  CHECK "v86-iopl3-int-saved-vm", 0x20000
  mov eax, [0x72C]
  CHECK "v86-iopl3-int-returned", 0x81
  mov eax, [0x78C]
  CHECK "v86-iopl3-hlt-gp-ip", v86_iopl3.hlt
  call finish_32

v86_exit:                                ; #GP from v86 with the exit armed: DS..GS are null here
  mov eax, ds
  mov [ss:0x780], eax
  mov eax, [esp + 12]
  mov [ss:0x784], eax                    ; EFLAGS
  mov eax, [esp + 8]
  mov [ss:0x788], eax                    ; CS
  mov eax, [esp + 4]
  mov [ss:0x78C], eax                    ; EIP
  mov eax, [esp + 28]
  mov [ss:0x790], eax                    ; DS
  mov eax, [esp + 24]
  mov [ss:0x794], eax                    ; ES
  mov ax, SEL_DATA32
  mov ds, ax
  mov es, ax
  mov esp, 0x7000
  mov word [IDT_RAM + 13*8], fault_stubs + 13*16
  jmp [V86_CONT]
v86_int:                                 ; INT 0x81 from v86 with IOPL 3
  mov eax, ds
  mov [ss:0x724], eax
  mov eax, [esp + 8]
  mov [ss:0x728], eax
  iret

bits 16
v86_iopl0:
  mov word [0x10], 0xABCD                ; DS = 0x1000: physical 0x10010
  mov [0x12], cs
  xor ax, ax
  mov es, ax
  mov dword [es:RESUME], .a
  cli
.a: mov eax, [es:LASTVEC]
  mov [es:0x700], eax
  mov eax, [es:LASTERR]
  mov [es:0x704], eax
  mov dword [es:RESUME], .b
  int 0x21
.b: mov eax, [es:LASTVEC]
  mov [es:0x708], eax
  mov dword [es:RESUME], .c
  pushf
.c: mov eax, [es:LASTVEC]
  mov [es:0x70C], eax
  mov word [es:IDT_RAM + 13*8], v86_exit ; the next #GP leaves v86
.hlt: hlt
  jmp .hlt
v86_iopl3:
  cli
  sti
  pushf
  pop ax
  and ax, 0x3200
  movzx eax, ax
  mov [0x720], eax
  int 0x81
  mov dword [0x72C], 0x81
  mov word [IDT_RAM + 13*8], v86_exit
.hlt: hlt
  jmp .hlt

  PM32_ROM_END
