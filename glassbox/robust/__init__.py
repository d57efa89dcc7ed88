"""glassbox.robust: adversarial examples (FGSM, PGD), robustness curves, adversarial training.

    from glassbox.robust import fgsm, pgd, evaluate_robustness, AdversarialTraining
    x_adv = pgd(model, x, y, eps=0.1)                 # inside the eps ball and [0, 1]
    evaluate_robustness(model, (x, y), [0.05, 0.1])   # {eps: accuracy}
    trainer.fit(data, callbacks=[AdversarialTraining(eps=0.1)])
"""

from glassbox.robust.attacks import Normalize, fgsm, input_gradient, pgd
from glassbox.robust.evaluate import evaluate_robustness
from glassbox.robust.plot import plot_adversarial_example
from glassbox.robust.training import AdversarialTraining

__all__ = ["AdversarialTraining", "Normalize", "evaluate_robustness", "fgsm", "input_gradient",
           "pgd", "plot_adversarial_example"]
