"""Domain events. Sent after the transaction commits, so a receiver (such as
the e-mail notifications) never acts on a change that was rolled back."""

from django.dispatch import Signal

# sender=Klient, klient=..., step=CaseStep, actor=User
step_completed = Signal()
# sender=Klient, klient=..., actor=User
case_rejected = Signal()
