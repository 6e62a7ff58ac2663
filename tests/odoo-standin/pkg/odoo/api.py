"""odoo.api.Environment(cr, uid, context): env['res.users'], env['res.device.log'], env.user."""
from . import SUPERUSER_ID  # noqa: F401


class Environment:
    def __init__(self, cr, uid, context):
        self.cr = cr
        self.uid = uid
        self.context = dict(context or {})

    def __getitem__(self, model):
        from . import models
        cls = models.MODELS.get(model)
        if cls is None:
            raise KeyError(model)
        return cls(self, ())

    def __contains__(self, model):
        from . import models
        return model in models.MODELS

    @property
    def user(self):
        return self["res.users"].browse(self.uid)
